"""The steady-stream latency benchmark's own logic (benchmarks/latency_stream.py) on hand-computed cases: which view
rows show a pending change, the latency summary, the runs by job, which listings a batch reprices, the options."""

import argparse

import pytest

from benchmarks import latency_stream
from benchmarks.latency_stream import Change, Poller, Writer, percentile, summarize, summarize_runs, visible


def test_an_insert_shows_when_its_id_is_in_the_view_and_a_reprice_when_its_price_moved():
    pending = {
        "a": Change("insert", "a", 100.0),
        "b": Change("reprice", "b", 100.0, old_price=1_000),
        "c": Change("reprice", "c", 100.0, old_price=2_000),
    }
    rows = [("a", 5), ("b", 1_250), ("c", 2_000), ("z", 9)]  # c still shows its old price; z is no change of ours
    assert visible(pending, rows) == [("a", 5), ("b", 1_250)]
    assert visible(pending, []) == []


def test_percentile_is_the_nearest_rank():
    values = [10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0]
    assert percentile(values, 0.9) == 9.0  # ceil(0.9 * 10) = 9th smallest
    assert percentile(values, 0.5) == 5.0
    assert percentile([4.0, 1.0, 3.0], 0.9) == 4.0  # ceil(2.7) = 3rd
    assert percentile([7.0], 0.9) == 7.0


def test_summary_counts_the_changes_never_seen_and_leaves_them_out_of_the_times():
    assert summarize([3.0, 1.0, None, 2.0, 10.5]) == {
        "changes": 5,
        "seen": 4,
        "never_seen": 1,
        "median": 2.5,  # (2 + 3) / 2
        "p90": 10.5,  # ceil(0.9 * 4) = 4th of 1, 2, 3, 10.5
        "max": 10.5,
    }
    assert summarize([None, None]) == {"changes": 2, "seen": 0, "never_seen": 2}
    assert summarize([]) == {"changes": 0, "seen": 0, "never_seen": 0}


def _run(job, status, created, started=None, ended=None):
    return {"job": job, "status": status, "trigger": None, "created": created, "started": started, "ended": ended}


def test_runs_by_job_median_slowest_and_queue():
    runs = [
        _run("change_to_gold_job", "SUCCESS", 0.0, 2.0, 12.0),  # queue 2, run 10
        _run("change_to_gold_job", "SUCCESS", 10.0, 14.0, 34.0),  # queue 4, run 20
        _run("change_to_gold_job", "FAILURE", 20.0, 21.0, 51.0),  # queue 1, run 30
        _run("change_to_gold_job", "STARTED", 30.0, 31.0),  # queue 1, still running: no duration
        _run("__ASSET_JOB", "QUEUED", 40.0),  # neither
    ]
    assert summarize_runs(runs) == {
        "__ASSET_JOB": {
            "runs": 1,
            "statuses": {"QUEUED": 1},
            "median_seconds": None,
            "max_seconds": None,
            "median_queue_seconds": None,
        },
        "change_to_gold_job": {
            "runs": 4,
            "statuses": {"FAILURE": 1, "STARTED": 1, "SUCCESS": 2},
            "median_seconds": 20.0,
            "max_seconds": 30.0,
            "median_queue_seconds": 1.5,  # of 2, 4, 1, 1
        },
    }


class _Stack:
    def view_rows(self, sql, params=None):
        return [("a", 100), ("b", 200), ("c", 300)]


def test_a_batch_reprices_only_listings_without_a_pending_change_and_takes_seen_ones_back(monkeypatch):
    written = []
    monkeypatch.setattr(latency_stream, "write_copy", lambda coll, source: (f"new-{source}-{len(written)}", 1.0))
    monkeypatch.setattr(
        latency_stream, "write_reprice", lambda coll, listing, factor: written.append((listing, factor)) or 2.0
    )
    poller = Poller(1.0)
    writer = Writer(_Stack(), poller)

    writer.batch(None, 0, inserts=2, reprices=2)
    assert written == [("a", 1.25), ("b", 1.25)]
    assert sorted(poller.pending) == ["a", "b", "new-a-0", "new-b-0"]
    assert poller.pending["b"].old_price == 200 and poller.pending["new-a-0"].kind == "insert"

    # the view showed b's new price: b is repriceable again, from that price; a is still pending
    with poller.lock:
        change = poller.pending.pop("b")
        change.seen, change.seen_price = 5.0, 250
        poller.shown.append(change)
    writer.batch(None, 1, inserts=1, reprices=3)  # c, then b; a is pending and nothing else is left
    assert written[2:] == [("c", 0.8), ("b", 0.8)]
    assert poller.pending["b"].old_price == 250
    assert writer.reprices_short == 1
    assert writer.copied == 3 and "new-c-2" in poller.pending  # copies go round the listings the view showed
    assert [c.kind for c in writer.changes] == [
        "insert",
        "insert",
        "reprice",
        "reprice",
        "insert",
        "reprice",
        "reprice",
    ]


def test_the_defaults_are_the_issues_stream_and_bad_values_are_refused(capsys):
    parser = argparse.ArgumentParser()
    latency_stream.add_arguments(parser)
    args = parser.parse_args(["--stream"])
    assert (args.stream, args.stream_minutes, args.every_s, args.inserts, args.reprices, args.poll_s) == (
        True,
        10,
        10,
        20,
        20,
        1.0,
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["--stream", "--every-s", "0"])
    assert "argument --every-s: must be > 0, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["--inserts", "-1"])
    assert "argument --inserts: must be >= 0, got -1" in capsys.readouterr().err
