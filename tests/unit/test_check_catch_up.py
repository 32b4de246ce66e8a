"""A materialization whose blocking checks never ran (its run died between the asset and its checks) gets exactly
those checks requested by the automation, with the layer below in the same request (the run's own gate stops it
if a check fails); and nothing more on the next ticks. Evaluated tick by tick against a Dagster instance, with no
server: first a run really killed (SIGKILL) inside its check step, on a small graph carrying the project's own
conditions; then the real definitions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest

from medallion_assets.definitions import defs
from medallion_assets.defs.automation import FOLLOW_UPSTREAM, check_after_its_asset

BRONZE = dg.AssetKey("bronze_real_estate")
SILVER = dg.AssetKey("silver_real_estate")


def _requested(result) -> set:
    return {r.key for r in result.results if r.true_subset.size}


class Ticks:
    """The automation sensor's evaluations, one per call, carrying the cursor as the daemon does."""

    def __init__(self, definitions, instance: dg.DagsterInstance, selection=None):
        self.definitions, self.instance, self.selection, self.cursor = definitions, instance, selection, None

    def __call__(self) -> set:
        result = dg.evaluate_automation_conditions(
            defs=self.definitions, instance=self.instance, cursor=self.cursor, asset_selection=self.selection
        )
        self.cursor = result.cursor
        return _requested(result)


# A two-asset graph with the project's conditions; the check step kills its own process when told to.
TOY = textwrap.dedent(
    """
    import os, signal, sys
    import dagster as dg
    from medallion_assets.defs.automation import FOLLOW_UPSTREAM, check_after_its_asset

    def build(catch_up=True):
        @dg.asset
        def up():
            return 1

        @dg.asset_check(asset=up, blocking=True, automation_condition=check_after_its_asset("up") if catch_up else None)
        def up_ok():
            if os.environ.get("KILL_IN_CHECK"):
                os.kill(os.getpid(), signal.SIGKILL)
            return dg.AssetCheckResult(passed=True)

        @dg.asset(deps=[up], automation_condition=FOLLOW_UPSTREAM)
        def down():
            return 2

        return dg.Definitions(assets=[up, down], asset_checks=[up_ok], executor=dg.in_process_executor)

    if __name__ == "__main__":
        with dg.DagsterInstance.get() as instance:
            job = build().resolve_implicit_global_asset_job_def()
            job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("up")])
    """
)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy.py").write_text(TOY)
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.syspath_prepend(str(tmp_path))
    import toy as module

    def run(kill: bool) -> int:
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        if kill:
            env["KILL_IN_CHECK"] = "1"
        return subprocess.run([sys.executable, str(tmp_path / "toy.py")], env=env, capture_output=True).returncode

    with dg.DagsterInstance.get() as instance:
        yield module.build, instance, run
    sys.modules.pop("toy", None)


UP_OK = dg.AssetCheckKey(dg.AssetKey("up"), "up_ok")
DOWN = dg.AssetKey("down")


def test_a_run_killed_between_its_asset_and_the_check_gets_the_check_and_the_layer_below(toy):
    build, instance, run = toy
    ticks = Ticks(build(), instance)
    assert ticks() == set()  # the sensor was already ticking before the run

    assert run(kill=True) == -signal.SIGKILL
    (dead,) = instance.get_runs()
    assert dead.status == dg.DagsterRunStatus.STARTED
    assert ticks() == set()  # the run still looks alive: nothing is requested behind its back
    instance.report_run_failed(dead)  # what run monitoring does once the worker is gone

    requested = ticks()
    assert UP_OK in requested and requested <= {UP_OK, DOWN}  # the unevaluated gate (and maybe what waits on it)
    assert ticks() == set()  # requested once, not on every tick
    if DOWN not in requested:  # the check's run passes it; then the layer below follows
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(asset_key=UP_OK.asset_key, check_name="up_ok", passed=True)
        )
        assert ticks() == {DOWN}
    assert ticks() == set()


def test_without_the_condition_the_layer_below_waits_forever(toy, monkeypatch):
    """The failure this guards against: the same killed run, the check without check_after_its_asset."""
    build, instance, run = toy
    ticks = Ticks(build(catch_up=False), instance)
    ticks()
    run(kill=True)
    instance.report_run_failed(instance.get_runs()[0])
    assert [ticks() for _ in range(3)] == [set(), set(), set()]


def test_a_check_that_ran_in_its_own_run_is_not_requested_again(toy):
    build, instance, run = toy
    ticks = Ticks(build(), instance)
    ticks()
    assert run(kill=False) == 0
    assert ticks() == {DOWN}  # the gate passed in the run: only the layer below follows
    assert ticks() == set()


def test_every_blocking_check_of_the_pipeline_carries_the_condition():
    graph = defs.resolve_asset_graph()
    blocking = [key for key in graph.asset_check_keys if graph.get_check_spec(key).blocking]
    assert len(blocking) == 11
    assert all(graph.get(key).automation_condition == check_after_its_asset(key.asset_key.path[-1]) for key in blocking)
    assert graph.get(SILVER).automation_condition == FOLLOW_UPSTREAM


def test_a_check_that_also_reads_silver_waits_for_its_own_asset_to_be_rebuilt():
    """gold_from_trusted_silver reads silver too (additional_deps): a new silver alone must not request it, or it
    runs against the gold not rebuilt yet and fails (found under dagster dev); a new gold does."""
    gold = dg.AssetKey("gold_ml_features")
    trusted = dg.AssetCheckKey(gold, "gold_from_trusted_silver")
    with dg.instance_for_test() as instance:
        ticks = Ticks(defs, instance, dg.AssetSelection.checks(trusted))
        ticks()
        for key in (SILVER, gold):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))
        assert ticks() == {trusted}  # gold materialized and its check never ran
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(asset_key=gold, check_name=trusted.name, passed=True)
        )
        assert ticks() == set()
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=SILVER))
        assert ticks() == set()  # before the fix: {trusted}
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=gold))
        assert ticks() == {trusted}


def test_the_real_graph_requests_bronzes_gate_with_silver_after_an_unchecked_bronze():
    with dg.instance_for_test() as instance:
        ticks = Ticks(defs, instance, dg.AssetSelection.assets(BRONZE, SILVER))
        ticks()
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=BRONZE))
        requested = ticks()
        assert dg.AssetCheckKey(BRONZE, "bronze_offsets_unique") in requested
        assert SILVER in requested
        assert ticks() == set()


def test_status_lists_an_unevaluated_gate_and_a_layer_behind_and_exits_non_zero(toy, monkeypatch):
    from medallion_assets.dev import status

    build, instance, run = toy
    graph = build().resolve_asset_graph()
    assert run(kill=True) == -signal.SIGKILL
    (dead,) = instance.get_runs()
    assert (
        status.stale_rows(instance, graph, {DOWN}, time.time()) == []
    )  # the run still looks alive: its check is running
    instance.report_run_failed(dead)

    rows = status.stale_rows(instance, graph, {DOWN}, time.time())
    assert rows == [("up", f"blocking check up_ok not evaluated: run {dead.run_id[:8]} ended FAILURE before it")]
    assert not status.Report(stale=rows).ok  # `medallion status` exits 3

    monkeypatch.setattr(status, "FOLLOW_GRACE_S", -1.0)  # no grace: `down` is behind `up` at once
    assert ("down", "older than up") in {
        (asset, why.split(" (")[0]) for asset, why in status.stale_rows(instance, graph, {DOWN}, time.time())
    }


def test_status_finds_nothing_stale_after_a_run_that_checked_its_asset(toy):
    from medallion_assets.dev import status

    build, instance, run = toy
    assert run(kill=False) == 0
    assert status.stale_rows(instance, build().resolve_asset_graph(), {DOWN}, time.time()) == []
