"""Latency under `make dev` for a steady stream of changes: `python -m benchmarks.latency --stream`.

    python -m benchmarks.latency --stream        # 10 minutes: 20 inserts + 20 reprices every 10 s
    python -m benchmarks.latency --stream --stream-minutes 1 --seed-count 500

After the single-change mode's seeding and catch-up (benchmarks/latency.py: its own services, `dagster dev`),
every `--every-s` seconds it inserts `--inserts` copies of listings the view shows under new `_id`s and reprices
`--reprices` listings the view shows (none with a change still pending, so each gets a price the view has not
shown for it), all written straight to MongoDB, each write's time recorded. A poller thread reads
ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS every `--poll-s` seconds, one query for every pending id on one
warehouse session, and records when each change first shows: an insert when its id is there, a reprice when its
price differs from the one the view showed before. After the stream it waits up to `--timeout` seconds for the
rest, then for the runs to end, and reports per-change latency (median, p90, slowest), the changes never seen,
the runs created since the stream began (by job: count, median and slowest run, median queue) and the load
average at start and end. Result: benchmarks/results/latency-stream-<timestamp>.json and .md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass

from benchmarks.latency import DONE, VIEW, Stack, _collection, write_copy, write_reprice, write_result

KINDS = ("insert", "reprice")
REPRICE_FACTORS = (1.25, 0.8)  # alternating ticks, so a listing repriced again drifts back instead of compounding


@dataclass
class Change:
    kind: str  # "insert" or "reprice"
    id: str
    written: float  # epoch seconds of the write to MongoDB
    old_price: object = None  # a reprice: the price the view showed before it
    seen: float | None = None  # when the view first showed it
    seen_price: object = None


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("steady stream (--stream)")
    group.add_argument("--stream", action="store_true", help="a steady stream of changes instead of one at a time")
    group.add_argument("--stream-minutes", type=_positive(float), default=10, help="how long changes are written")
    group.add_argument("--every-s", type=_positive(float), default=10, help="seconds between batches of changes")
    group.add_argument("--inserts", type=_not_negative, default=20, help="new listings per batch")
    group.add_argument("--reprices", type=_not_negative, default=20, help="repriced listings per batch")
    group.add_argument("--poll-s", type=_positive(float), default=1.0, help="seconds between reads of the view")


def visible(pending: dict[str, Change], rows: list[tuple]) -> list[tuple[str, object]]:
    """(id, price) of the view rows that show a pending change: an insert's id, or a repriced id whose price is no
    longer the one the view showed before the reprice."""
    shown = []
    for listing_id, price in rows:
        change = pending.get(listing_id)
        if change is not None and (change.kind == "insert" or price != change.old_price):
            shown.append((listing_id, price))
    return shown


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarize(latencies: list[float | None]) -> dict:
    """Per-change seconds to the view (None: never seen) -> count, seen, never_seen, median, p90, max."""
    seen = [x for x in latencies if x is not None]
    summary = {"changes": len(latencies), "seen": len(seen), "never_seen": len(latencies) - len(seen)}
    if seen:
        summary.update(
            median=round(statistics.median(seen), 2), p90=round(percentile(seen, 0.9), 2), max=round(max(seen), 2)
        )
    return summary


def summarize_runs(runs: list[dict]) -> dict:
    """Runs (Stack.runs rows) by job: count, statuses, median and slowest run (start to end) and median queue
    (creation to start), over the runs that have those times."""
    by_job: dict[str, list[dict]] = collections.defaultdict(list)
    for run in runs:
        by_job[run["job"]].append(run)
    summary = {}
    for job, rows in sorted(by_job.items()):
        durations = [r["ended"] - r["started"] for r in rows if r["started"] and r["ended"]]
        queues = [r["started"] - r["created"] for r in rows if r["started"]]
        summary[job] = {
            "runs": len(rows),
            "statuses": dict(sorted(collections.Counter(r["status"] for r in rows).items())),
            "median_seconds": round(statistics.median(durations), 2) if durations else None,
            "max_seconds": round(max(durations), 2) if durations else None,
            "median_queue_seconds": round(statistics.median(queues), 2) if queues else None,
        }
    return summary


class Poller(threading.Thread):
    """Reads the view every `every_s` seconds for all pending changes at once, on one warehouse session (re-opened
    after an error), and moves each change it sees from `pending` to `shown`."""

    def __init__(self, every_s: float):
        super().__init__(name="view-poller", daemon=True)
        self.every_s = every_s
        self.lock = threading.Lock()
        self.pending: dict[str, Change] = {}
        self.shown: list[Change] = []  # seen since the writer last took them
        self.stopping = threading.Event()
        self.polls = 0
        self.poll_seconds: list[float] = []
        self.errors: collections.Counter = collections.Counter()

    def add(self, changes: list[Change]) -> None:
        with self.lock:
            self.pending.update((c.id, c) for c in changes)

    def take_shown(self) -> list[Change]:
        with self.lock:
            shown, self.shown = self.shown, []
        return shown

    def waiting(self) -> int:
        with self.lock:
            return len(self.pending)

    def stop(self) -> None:
        self.stopping.set()
        self.join(60)

    def run(self) -> None:
        from medallion_assets.defs.resources import snowflake_resource

        session = contextlib.ExitStack()
        cursor = None
        while not self.stopping.is_set():
            began = time.monotonic()
            with self.lock:
                ids = list(self.pending)
            if ids:
                try:
                    if cursor is None:
                        cursor = session.enter_context(snowflake_resource().get_connection()).cursor()
                    rows = cursor.execute(
                        f"SELECT id, price FROM {VIEW} WHERE id IN (%(ids)s)", {"ids": ids}
                    ).fetchall()
                except Exception as exc:  # noqa: BLE001 (counted and reported; the next poll opens a new session)
                    message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    if message not in self.errors:
                        print(f"poll failed (retrying on a new session): {message}", flush=True)
                    self.errors[message] += 1
                    session.close()
                    session, cursor = contextlib.ExitStack(), None
                else:
                    now = time.time()
                    self.polls += 1
                    self.poll_seconds.append(time.monotonic() - began)
                    with self.lock:
                        for listing_id, price in visible(self.pending, rows):
                            change = self.pending.pop(listing_id)
                            change.seen, change.seen_price = now, price
                            self.shown.append(change)
            self.stopping.wait(max(0.0, self.every_s - (time.monotonic() - began)))
        session.close()


class Writer:
    """Writes the stream's batches to MongoDB: copies of listings the view shows, and reprices of listings whose
    price the view shows and that have no change pending."""

    def __init__(self, stack: Stack, poller: Poller):
        known = stack.view_rows(f"SELECT id, price FROM {VIEW} WHERE price > 0 ORDER BY id")
        if not known:
            raise SystemExit(f"{VIEW} shows no listing with a price after the catch-up: nothing to change")
        self.poller = poller
        self.prices = dict(known)  # id -> the price the view shows
        self.idle_ids = collections.deque(self.prices)  # repriceable: shown, nothing pending
        self.sources = list(self.prices)  # copied round-robin for inserts
        self.copied = 0
        self.changes: list[Change] = []
        self.reprices_short = 0

    def batch(self, collection, tick: int, inserts: int, reprices: int) -> None:
        for change in self.poller.take_shown():  # seen again: repriceable with the price the view now shows
            self.prices[change.id] = change.seen_price
            self.idle_ids.append(change.id)
        batch = []
        for _ in range(inserts):
            new_id, written = write_copy(collection, self.sources[self.copied % len(self.sources)])
            self.copied += 1
            batch.append(Change("insert", new_id, written))
        factor = REPRICE_FACTORS[tick % len(REPRICE_FACTORS)]
        for _ in range(reprices):
            if not self.idle_ids:
                self.reprices_short += 1
                continue
            listing_id = self.idle_ids.popleft()
            written = write_reprice(collection, listing_id, factor)
            batch.append(Change("reprice", listing_id, written, old_price=self.prices[listing_id]))
        self.poller.add(batch)
        self.changes.extend(batch)


def _stream(stack: Stack, args, poller: Poller) -> dict:
    writer = Writer(stack, poller)
    poller.start()
    start = time.time()
    ticks = round(args.stream_minutes * 60 / args.every_s)
    late = []
    with _collection() as collection:
        for tick in range(ticks):
            due = start + tick * args.every_s
            time.sleep(max(0.0, due - time.time()))
            late.append(time.time() - due)
            writer.batch(collection, tick, args.inserts, args.reprices)
            print(f"batch {tick + 1}/{ticks}: {poller.waiting()} changes not yet in the view", flush=True)
    end = time.time()
    if writer.reprices_short:
        print(f"{writer.reprices_short} reprices skipped: no listing without a pending change (seed more)", flush=True)
    deadline = time.monotonic() + args.timeout
    while poller.waiting() and time.monotonic() < deadline:
        time.sleep(1)
    poller.stop()
    while not stack.idle() and time.monotonic() < deadline + args.timeout:
        time.sleep(1)
    return {
        "start": start,
        "end": end,
        "ticks": ticks,
        "slowest_batch_start_late_s": round(max(late), 2) if late else None,
        "reprices_short": writer.reprices_short,
        "changes": writer.changes,
    }


def run(stack: Stack, args, initial: float, stamp: str) -> dict:
    """The stream after the catch-up; writes and returns the report."""
    load_start = [round(x, 2) for x in os.getloadavg()]
    poller = Poller(args.poll_s)
    try:
        result = _stream(stack, args, poller)
    finally:
        poller.stopping.set()
    changes = result["changes"]
    runs = stack.runs_since(result["start"])
    latencies = {kind: [c.seen - c.written if c.seen else None for c in changes if c.kind == kind] for kind in KINDS}
    report = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "stream": {
            "minutes": args.stream_minutes,
            "every_s": args.every_s,
            "inserts": args.inserts,
            "reprices": args.reprices,
            "poll_s": args.poll_s,
            "batches": result["ticks"],
            "slowest_batch_start_late_s": result["slowest_batch_start_late_s"],
            "reprices_short": result["reprices_short"],
        },
        "seed_count": args.seed_count,
        "initial_seconds": initial,
        "load_average_1_5_15min_start": load_start,
        "load_average_1_5_15min_end": [round(x, 2) for x in os.getloadavg()],
        "summary": {
            **summarize(latencies["insert"] + latencies["reprice"]),
            **{kind: summarize(values) for kind, values in latencies.items()},
        },
        "runs": {
            "created": len(runs),
            "in_flight_at_end": sum(1 for r in runs if r["status"] not in DONE),
            "by_job": summarize_runs(runs),
        },
        "poller": {
            "polls": poller.polls,
            "median_poll_seconds": round(statistics.median(poller.poll_seconds), 3) if poller.poll_seconds else None,
            "errors": dict(poller.errors),
        },
        "changes": [
            {
                "kind": c.kind,
                "id": c.id,
                "written_after_s": round(c.written - result["start"], 2),
                "seconds_to_view": round(c.seen - c.written, 2) if c.seen else None,
            }
            for c in changes
        ],
    }
    write_result(f"stream-{stamp}", report, markdown)
    return report


def markdown(report: dict) -> str:
    s, st = report["summary"], report["stream"]
    load = " / ".join
    lines = [
        f"# Latency under `make dev`, steady stream ({report['date']})",
        "",
        f"{report['seed_count']:,} listings seeded; first snapshot to the view in {report['initial_seconds']} s. "
        f"Then for {st['minutes']} min, every {st['every_s']} s: {st['inserts']} inserts + {st['reprices']} reprices "
        f"written straight to MongoDB ({st['batches']} batches; the latest began "
        f"{st['slowest_batch_start_late_s']} s late); the view read every {st['poll_s']} s. "
        "Seconds from the write in MongoDB until the view showed it. "
        f"Load average (1 / 5 / 15 min): {load(map(str, report['load_average_1_5_15min_start']))} at the start, "
        f"{load(map(str, report['load_average_1_5_15min_end']))} at the end.",
        "",
        "| changes | count | never seen | median s | p90 s | slowest s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in [("all", s), *((kind, s[kind]) for kind in KINDS)]:
        lines.append(
            f"| {name} | {row['changes']} | {row['never_seen']} | {row.get('median', '–')} | {row.get('p90', '–')} | "
            f"{row.get('max', '–')} |"
        )
    runs = report["runs"]
    lines += [
        "",
        f"Runs created from the stream's start until they all ended: {runs['created']} "
        f"({runs['in_flight_at_end']} still in flight at the end).",
        "",
        "| job | runs | statuses | median run s | slowest run s | median queue s |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for job, row in runs["by_job"].items():
        statuses = ", ".join(f"{k} {v}" for k, v in row["statuses"].items())
        lines.append(
            f"| {job} | {row['runs']} | {statuses} | {row['median_seconds']} | {row['max_seconds']} | "
            f"{row['median_queue_seconds']} |"
        )
    never = s["never_seen"]
    lines += ["", f"Never seen: {never} {'✅' if never == 0 else '❌'}.", ""]
    return "\n".join(lines)
