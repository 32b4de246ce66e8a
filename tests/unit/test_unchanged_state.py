"""What a nothing-new run decides from one read (lib/unchanged_state.py): pending work and data versions."""

from __future__ import annotations

from medallion_assets.lib import unchanged_state, warehouse


def rows(*marks):
    return [
        {"kafka_topic": "t", "kafka_partition": p, "upstream_offset": up, "processed_offset": done, "updated_at": at}
        for p, up, done, at in marks
    ]


def test_a_layer_has_work_exactly_when_an_upstream_offset_is_above_its_position(monkeypatch):
    answers = {}
    monkeypatch.setattr(warehouse, "fetch_all", lambda conn, name: answers[name])
    answers["silver/positions"] = rows((0, 9, 9, "a"), (1, 4, 4, "a"))
    caught_up = unchanged_state.silver_positions(None)
    assert caught_up.caught_up and caught_up.pending == []
    answers["silver/positions"] = rows((0, 10, 9, "a"), (1, 4, 4, "a"), (2, 0, None, None))
    behind = unchanged_state.silver_positions(None)
    assert behind.pending == ["t/0", "t/2"]  # above the mark, and a partition never seen
    answers["silver/positions"] = rows()  # an empty bronze: nothing to do
    assert unchanged_state.silver_positions(None).caught_up


def test_the_version_moves_with_the_positions_and_when_they_moved(monkeypatch):
    answers = {}
    monkeypatch.setattr(warehouse, "fetch_all", lambda conn, name: answers[name])

    def version(*marks):
        answers["gold/history_positions"] = rows(*marks)
        return unchanged_state.history_positions(None).version

    first = version((0, 9, 9, "2026-12-03 10:00:00"))
    assert first.startswith("history-") and first == version((0, 12, 9, "2026-12-03 10:00:00"))
    assert version((0, 9, 10, "2026-12-03 10:00:00")) != first  # the position moved
    assert version((0, 9, 9, "2026-12-03 11:00:00")) != first  # rebuilt to the same offsets (a full refresh)


def test_fingerprints_are_stable_and_name_what_they_cover():
    assert unchanged_state.setup_fingerprint() == unchanged_state.setup_fingerprint()
    assert unchanged_state.setup_fingerprint().startswith("ddl-")
    views = ["semantic/v_price_changes", "semantic/v_days_on_market"]
    assert unchanged_state.views_fingerprint(views) != unchanged_state.views_fingerprint(views[:1])
    assert unchanged_state.fingerprint("x", ["a", "b"]) != unchanged_state.fingerprint("x", ["ab"])
    assert unchanged_state.bronze_version({0: 5, 1: 7}, "t") == unchanged_state.bronze_version({1: 7, 0: 5}, "t")
    assert unchanged_state.bronze_version({0: 5}, "t") != unchanged_state.bronze_version({0: 6}, "t")
    assert "RAW_DB.LANDING.BRONZE_REAL_ESTATE" in unchanged_state.declared_tables()
    assert not any(name.startswith("ANALYTICS_DB.SEMANTIC.") for name in unchanged_state.declared_tables())
