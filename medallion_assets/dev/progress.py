"""Progress of long work (seeding, benchmark stages, chaos rounds) with rate and ETA.

On a terminal a rich progress bar; otherwise (a log file, a pipe, CI) plain lines every 10% of the
work or every 5 s, whichever comes first, such as ``seeded 20,000/100,000 (4,850/s, ETA 16 s)``.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

PLAIN_EVERY_S = 5.0
PLAIN_EVERY_FRACTION = 0.1


def _seconds(value: float) -> str:
    value = max(0, round(value))
    if value < 120:
        return f"{value} s"
    minutes, seconds = divmod(value, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"


def plain_line(label: str, done: int, total: int, elapsed: float, unit: str = "") -> str:
    """One progress line: ``<label> <done>/<total> (<rate>/s, ETA <t>)``."""
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = _seconds((total - done) / rate) if rate > 0 else "unknown"
    unit = f" {unit}" if unit else ""
    speed = f"{rate:,.0f}/s" if rate >= 1 else f"{rate * 60:,.1f}/min"
    return f"{label} {done:,}/{total:,}{unit} ({speed}, ETA {eta})"


class Progress:
    """``with Progress("seeded", total) as p: p.advance(n)``; `advance` fits as an ``on_progress`` callback."""

    def __init__(self, label: str, total: int, unit: str = "", stream: TextIO | None = None, tty: bool | None = None):
        self.label, self.total, self.unit = label, max(int(total), 0), unit
        self.stream = stream if stream is not None else sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.done = 0
        self._started = self._last_line = time.monotonic()
        self._next_fraction = PLAIN_EVERY_FRACTION
        self._bar = None

    def __enter__(self) -> Progress:
        self._started = self._last_line = time.monotonic()
        self._start_bar()
        return self

    def set_total(self, total: int) -> None:
        """For work whose size is known only once it starts (a file read first)."""
        self.total = max(int(total), 0)
        self._start_bar()

    def _start_bar(self) -> None:
        if self.tty and self.total and self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, rate="")

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        elapsed = now - self._started
        if self._bar is not None:
            rate = self.done / elapsed if elapsed > 0 else 0.0
            self._bar.update(self._task, completed=self.done, rate=f"{rate:,.0f}/s")
            return
        if not self.total:
            return
        fraction = self.done / self.total
        if fraction >= self._next_fraction or now - self._last_line >= PLAIN_EVERY_S:
            while self._next_fraction <= fraction:
                self._next_fraction += PLAIN_EVERY_FRACTION
            self._last_line = now
            print(plain_line(self.label, self.done, self.total, elapsed, self.unit), file=self.stream, flush=True)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None
