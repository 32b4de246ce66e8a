"""dev/progress.py off a terminal: plain lines every 10% of the work or every 5 s, with rate and ETA."""

from __future__ import annotations

import io

from medallion_assets.dev import progress


def test_plain_lines_every_tenth_and_every_five_seconds(monkeypatch):
    clock = iter([100.0, 100.0, 102.0, 103.0, 109.0, 110.0])  # start, __enter__, then one per advance
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    out = io.StringIO()
    with progress.Progress("seeded", 100_000, stream=out, tty=False) as bar:
        bar.advance(20_000)  # 2 s in: 20% crossed
        bar.advance(1_000)  # 3 s in: neither 30% nor 5 s since the last line
        bar.advance(1_000)  # 9 s in: 6 s since the last line
        bar.advance(78_000)  # 10 s in: done
    assert out.getvalue().splitlines() == [
        "seeded 20,000/100,000 (10,000/s, ETA 8 s)",
        "seeded 22,000/100,000 (2,444/s, ETA 32 s)",
        "seeded 100,000/100,000 (10,000/s, ETA 0 s)",
    ]


def test_slow_work_shows_a_rate_per_minute_and_long_etas_in_minutes():
    assert progress.plain_line("stages", 2, 18, 240.0) == "stages 2/18 (0.5/min, ETA 32 min 00 s)"
    assert progress.plain_line("chaos rounds", 0, 20, 5.0) == "chaos rounds 0/20 (0.0/min, ETA unknown)"
