"""`medallion pipeline` end to end on a source too small to train the price model on."""

from __future__ import annotations

import re
from pathlib import Path

from medallion_assets.definitions import defs
from medallion_assets.dev.pulse_runs import main_job
from tests.helpers import medallion, private_env


def test_pipeline_on_ten_listings_exits_0_and_names_what_it_skipped(stack, services_home, warehouse_port, tmp_path):
    # A MEDALLION_HOME of the test's own (see tests/helpers.py private_env): gold holds these 10 listings only.
    env = private_env(services_home, warehouse_port, tmp_path)
    done = medallion(env, "pipeline", "--count", "10", "--no-services")
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "seeded 10 synthetic listings into the empty source" in out
    assert "FAILED steps" not in out and "BLOCKING" not in out
    skipped = out.split("\nSkipped\n", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    lines = [" ".join(line.split()) for line in skipped]
    # The holdout is a hash of the listing ids (ObjectIds, new each run): how the 10 split varies, not the sum.
    split = re.search(r"holds 10 rows with a price: (\d+) to train on and (\d+) held out;", lines[0])
    assert split and int(split[1]) + int(split[2]) == 10
    reason = (
        f"not trained: ANALYTICS_DB.DWH.GOLD_ML_FEATURES holds 10 rows with a price: {split[1]} to train on and "
        f"{split[2]} held out; at least 30 training rows and one held-out row are needed"
    )
    assert lines == [
        f"feature_importance {reason}",
        f"model_registry {reason}",
        f"price_model {reason}",
        "price_predictions not run: upstream price_model was not materialized",
        "anomaly_alerts / anomaly_rate_within_bounds check passed as skipped: only 10 gold listings (fewer than "
        "min_gold_rows 100); 0 have an open alert",
        "model_registry / model_registry_one_champion not run: model_registry was not materialized",
        "price_model / price_model_r2_floor not run: price_model was not materialized",
        "price_predictions / price_predictions_cover_holdout not run: price_predictions was not materialized",
        "(8 rows)",
    ]
    checks = {tuple(line.split()[:3]) for line in out.split("\nChecks\n", 1)[1].split("\n\n", 1)[0].splitlines()}
    assert ("anomaly_alerts", "anomaly_rate_within_bounds", "SKIP") in checks
    assert ("price_model", "price_model_r2_floor", "NOT") in checks
    assert ("silver_real_estate", "silver_quality_share", "PASS") in checks
    # the listing history: one version per listing (10 listed), its views answer, its checks pass
    for check in (
        "history_one_current_per_listing",
        "history_versions_contiguous",
        "history_current_price_matches_silver",
    ):
        assert ("gold_listing_history", check, "PASS") in checks
    table_rows = dict(
        line.split() for line in out.split("\nRows per table\n", 1)[1].split("\n\n", 1)[0].splitlines()[2:-1]
    )
    assert table_rows["ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"] == table_rows["STAGING_DB.CLEANED.SILVER_REAL_ESTATE"]
    assert table_rows["ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET"] == "10"
    assert table_rows["ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES"] == "0"
    # The partitioned market pulse runs after the main run, one run per range of stale event days, a check per day.
    pulse = out.split("\nMarket pulse (one partition per event day)\n", 1)[1].split("\n\n", 1)[0]
    assert "FAILED" not in pulse and "late changes logged now (lateness 7 days): 0" in pulse
    assert ("gold_market_pulse", "pulse_counts_match_history", "FAIL") not in checks

    # What a person sees: no Dagster DEBUG lines and no Python warnings, on stdout or stderr.
    assert [line for line in (out + done.stderr).splitlines() if "DEBUG" in line or "Warning" in line] == []
    # Not a terminal: one line per step state change and no carriage-return redraws. Every step of the job
    # starts once and ends once (done), or is skipped with the reason.
    assert "\r" not in out
    lines = out.split("seeded 10 synthetic listings into the empty source\n", 1)[1].split("\nmarket pulse: ")[0]
    states = [(line.split()[0], line.split()[1], " ".join(line.split()[2:])) for line in lines.splitlines()]
    job = main_job(defs)
    steps = [node.name for node in job.graph.nodes_in_topological_order]
    ends = {key: (state, detail) for key, state, detail in states if state != "running"}
    assert sorted(ends) == sorted(steps) and len(ends) == len([s for s in states if s[1] != "running"])
    started = [key for key, state, _ in states if state == "running"]
    assert sorted(started) == sorted(
        key for key, (state, detail) in ends.items() if not detail.endswith("was not materialized")
    )
    assert re.fullmatch(r"10 rows \d+\.\ds", ends["bronze_real_estate"][1])
    assert re.fullmatch(r"1 check passed \d+\.\ds", ends["silver_real_estate_silver_quality_share"][1])
    assert ends["price_model"][0] == "skipped" and ends["price_model"][1].endswith(f"s {reason}")
    assert ends["price_predictions"] == ("skipped", "upstream price_model was not materialized")
    assert ends["price_model_price_model_r2_floor"] == ("skipped", "price_model was not materialized")
    assert {state for state, _ in ends.values()} == {"done", "skipped"}
    # Dagster's own event log went to a file, named at the end of the output: every step that ran succeeded.
    log_path = re.search(r"^Dagster's event log of this run: (.+)$", out, re.M)[1]
    assert log_path.startswith(str(Path(env["MEDALLION_HOME"]) / "logs" / "pipeline-"))
    log = Path(log_path).read_text()
    assert sorted(re.findall(r" - (\w+) - STEP_SUCCESS - ", log)) == sorted(started)
    assert len(re.findall(r" - STEP_SKIPPED - ", log)) == len(steps) - len(started)
