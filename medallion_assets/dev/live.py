"""What `medallion pipeline` shows while the run goes: one line per step, fed by Dagster's own events.

`StepView.on_event` is registered with `DagsterInstance.add_event_listener(run_id, ...)`: the instance calls
it for every event it stores for that run, in the thread that runs the steps (execute_in_process runs them
one after the other in this process), so no polling and no second reader of the event log. The same
callback writes every event, DEBUG ones included, to the run's log file. On a terminal the lines are
redrawn in place with rich; elsewhere (CI logs, tests) each finished step prints one line (done, failed or
skipped), naming each table it wrote with that table's row count.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path


class Step:
    def __init__(self, key: str):
        self.key = key
        self.state = "waiting"
        self.started: float | None = None
        self.seconds: float | None = None
        self.tables: dict[str, int] = {}  # table (or asset) written by the step -> its row count
        self.checks = [0, 0]  # passed, failed
        self.note = ""

    def detail(self) -> str:
        if self.state == "running":
            return f"{time.monotonic() - (self.started or time.monotonic()):.0f}s"
        parts = []
        if self.tables:
            parts.append(", ".join(f"{t} {n:,} row{'' if n == 1 else 's'}" for t, n in self.tables.items()))
        if any(self.checks):
            passed, failed = self.checks
            parts.append(
                f"{passed} check{'' if passed == 1 else 's'} passed" + (f", {failed} failed" if failed else "")
            )
        if self.seconds is not None:
            parts.append(f"{self.seconds:.1f}s")
        if self.note:
            parts.append(self.note)
        return "  ".join(parts)

    def line(self, width: int) -> str:
        """The step as one printed line (a running step's elapsed time only shows on a terminal)."""
        detail = "" if self.state == "running" else self.detail()
        return f"{self.key:<{width}}  {self.state:<8} {detail}".rstrip()


def _first_line(error) -> str:
    """The innermost cause's message, one line (Dagster wraps user errors in its own)."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    text = (getattr(error, "message", None) or "unknown error").strip()
    return text.splitlines()[0] if text else "unknown error"


class StepView:
    """Step states from the run's events; prints them as lines, or as a live table on a terminal."""

    def __init__(self, step_keys, log_path: Path, graph=None, live: bool | None = None, out=None):
        self.steps = {key: Step(key) for key in step_keys}
        self.width = max((len(key) for key in self.steps), default=20)
        self.out = out or sys.stdout
        self.graph = graph
        self.live = self.out.isatty() if live is None else live
        self.materialized: set = set()
        self.said_skipped: dict = {}
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        self._live = None

    def __enter__(self) -> StepView:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                get_renderable=self._render,
                console=Console(file=self.out),
                refresh_per_second=4,
                vertical_overflow="visible",
            )
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
        self._log.close()

    def _render(self):
        from rich.text import Text

        colors = {"running": "cyan", "done": "green", "failed": "bold red", "skipped": "yellow", "waiting": "dim"}
        text = Text()
        for step in self.steps.values():
            text.append(f"{step.key:<{self.width}}  ")
            text.append(f"{step.state:<8}", style=colors.get(step.state, ""))
            text.append(f" {step.detail()}".rstrip() + "\n")
        return text

    def _step(self, key: str) -> Step:
        if key not in self.steps:
            self.steps[key] = Step(key)
        return self.steps[key]

    def _changed(self, step: Step) -> None:
        if self._live is None and step.state != "running":  # off a terminal: one line per finished step
            print(step.line(self.width), file=self.out, flush=True)

    def _table(self, asset_key) -> str:
        """The table an asset writes: a warehouse table without database and schema (SILVER_REAL_ESTATE), a
        lakehouse table as namespace.table (medallion.gold_ml_features), else the asset key."""
        node = self.graph.get(asset_key) if self.graph is not None and self.graph.has(asset_key) else None
        table = (node.metadata or {}).get("dagster/table_name") if node is not None else None
        if not table:
            return asset_key.to_user_string()
        parts = str(getattr(table, "value", table)).split(".")
        return parts[-1] if len(parts) == 3 else ".".join(parts)

    def _write_log(self, entry) -> None:
        when = dt.datetime.fromtimestamp(entry.timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        import logging

        level = logging.getLevelName(entry.level)
        kind = entry.dagster_event.event_type_value if entry.dagster_event else "LOG"
        message = entry.dagster_event.message if entry.dagster_event and entry.dagster_event.message else ""
        message = message or entry.user_message or ""
        self._log.write(f"{when} - {level} - {entry.step_key or '-'} - {kind} - {message}\n")
        self._log.flush()

    def on_event(self, entry) -> None:
        self._write_log(entry)
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        kind = event.event_type_value
        step = self._step(event.step_key)
        if kind == "STEP_START":
            step.state, step.started = "running", time.monotonic()
            self._changed(step)
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            self.materialized.add(materialization.asset_key)
            count = (materialization.metadata or {}).get("dagster/row_count")
            if count is not None:
                step.tables[self._table(materialization.asset_key)] = int(getattr(count, "value", count))
        elif kind == "ASSET_OBSERVATION":
            observation = event.event_specific_data.asset_observation
            metadata = observation.metadata or {}
            flag = metadata.get("skipped")
            if flag is not None and getattr(flag, "value", flag):
                reason = metadata.get("reason")
                self.said_skipped[event.step_key] = str(getattr(reason, "value", reason) or "no reason given")
        elif kind == "ASSET_CHECK_EVALUATION":
            step.checks[0 if event.event_specific_data.passed else 1] += 1
        elif kind == "STEP_SUCCESS":
            step.seconds = time.monotonic() - (step.started or time.monotonic())
            if event.step_key in self.said_skipped and not step.tables:
                step.state, step.note = "skipped", self.said_skipped[event.step_key]
            else:
                step.state = "done"
            self._changed(step)
        elif kind == "STEP_FAILURE":
            step.seconds = time.monotonic() - (step.started or time.monotonic())
            step.state, step.note = "failed", _first_line(event.event_specific_data.error)
            self._changed(step)
        elif kind == "STEP_SKIPPED":
            # Dagster skipped it because an upstream asset produced nothing: shown in the live view; off a
            # terminal the summary counts these (Skipped) and the run's event log names each, so a nothing-new
            # run's CI log is not one line per unrun step
            step.state, step.note = "skipped", self._why_skipped(event.step_key)

    def _why_skipped(self, step_key: str) -> str:
        """Dagster skips a step when an input it needs was not produced: name the upstream assets."""
        if self.graph is not None:
            for node in self.graph.asset_nodes:
                if node.key.to_python_identifier() == step_key or node.key.to_user_string() == step_key:
                    missing = sorted(p.to_user_string() for p in node.parent_keys if p not in self.materialized)
                    if missing:
                        return f"upstream {', '.join(missing)} was not materialized"
            for key in self.graph.asset_check_keys:
                step = f"{key.asset_key.to_python_identifier()}_{key.name}"
                if step == step_key and key.asset_key not in self.materialized:
                    return f"{key.asset_key.to_user_string()} was not materialized"
        return "an upstream asset was not materialized"
