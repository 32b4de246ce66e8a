"""The listing-history stage of the benchmark: gold_listing_history over `size` documents of which 10% were
re-priced, from an empty history (every bronze message read), then a rerun with nothing new.

    python -m benchmarks.history --size 100000     # on its own: seed, ingest, bronze, silver, then the stages

In `make bench` (benchmarks/run.py) `run_history_stages` runs after the incremental stages, on the same services.
"""

from __future__ import annotations

import argparse
import json
import sys

REPRICED_SHARE = 0.10
HISTORY_STAGES = 6  # the bench.run calls in run_history_stages, for the progress line


def run_history_stages(bench, size: int) -> dict:
    """Re-price 10% of the listings, carry the changes to silver, then time the history from scratch and again."""
    repriced = max(1, int(size * REPRICED_SHARE))
    bench.run("history_reprice", "mutate", {"insert": 0, "reprice": repriced, "random_seed": 44})
    bench.run("history_ingest", "ingest")
    bench.run("history_bronze", "bronze")
    bench.run("history_silver", "silver", {"run_id": "bench-history"})
    full = bench.run("history", "history")
    rerun = bench.run("history_rerun", "history")
    return {
        "documents": size,
        "repriced": bench.stages["history_reprice"]["repriced"],
        "bronze_messages": full["rows"],
        "versions": full["history_rows"],
        "repriced_versions": full["repriced"],
        "seconds": round(full["seconds"], 2),
        "rerun_seconds": round(rerun["seconds"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import PROJECT_ROOT, Bench, fresh_home  # not at the top: run.py imports this module
    from medallion_assets.dev import services

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args(argv)
    home = PROJECT_ROOT / ".medallion" / "bench-history" / str(args.size)
    env = fresh_home(home)
    ports = services.free_ports()
    services.up(ports, home)
    bench = Bench(args.size, home, env, None, None, lambda text: print(text, flush=True))
    try:
        bench.run("setup", "setup")
        bench.run("seed", "seed", {"count": args.size})
        bench.run("ingest", "ingest")
        bench.run("bronze", "bronze")
        bench.run("silver", "silver", {"run_id": "bench-full"})
        report = run_history_stages(bench, args.size)
    finally:
        services.down(home)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
