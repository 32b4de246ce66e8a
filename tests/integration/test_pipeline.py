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
    skipped = out.split("\nSkipped\n", 1)[1].split("\nDagster's event log", 1)[0].splitlines()[2:]
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
    # the checks as counts (no table: none failed; the skipped and not run ones are under Skipped)
    counts = out.split("\nChecks: ", 1)[1].split("\n", 1)[0]
    total = len(defs.resolve_asset_graph().asset_check_keys)  # the pulse check counted once, over its days
    assert counts == f"{total}, {total - 4} PASS, 1 SKIP, 3 NOT RUN; blocking checks failed: 0"
    table_rows = {
        line.split()[0]: int(line.split()[1].replace(",", ""))
        for line in out.split("\nRows per table\n", 1)[1].split("\n\n", 1)[0].splitlines()
    }
    assert len(table_rows) == 19
    assert table_rows["ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"] == table_rows["STAGING_DB.CLEANED.SILVER_REAL_ESTATE"]
    assert table_rows["RAW_DB.LANDING.BRONZE_REAL_ESTATE"] == 10
    assert table_rows["ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET"] == 10
    assert table_rows["ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES"] == 0
    # The partitioned market pulse runs after the main run, one run per range of stale event days, a check per day.
    pulse = out.split("\nMarket pulse (one partition per event day): ", 1)[1].split("\nDagster's event log", 1)[0]
    assert "FAILED" not in pulse and "late changes logged now (lateness 7 days): 0" in pulse
    # What a person sees: no Dagster DEBUG lines and no Python warnings, on stdout or stderr.
    assert [line for line in (out + done.stderr).splitlines() if "DEBUG" in line or "Warning" in line] == []
    # Not a terminal: one line per finished step, no carriage-return redraws, and each count names its table.
    assert "\r" not in out
    lines = out.split("seeded 10 synthetic listings into the empty source\n", 1)[1].split("\nRows per table\n")[0]
    states = [(line.split()[0], line.split()[1], " ".join(line.split()[2:])) for line in lines.splitlines()]
    job = main_job(defs)
    steps = [node.name for node in job.graph.nodes_in_topological_order]
    ends = {key: (state, detail) for key, state, detail in states}
    assert sorted(ends) == sorted(steps) and len(states) == len(steps)  # each step once, none "running"
    started = [key for key, (state, detail) in ends.items() if not detail.endswith("was not materialized")]
    assert re.fullmatch(r"BRONZE_REAL_ESTATE 10 rows \d+\.\ds", ends["bronze_real_estate"][1])
    # silver's step writes two tables: each count names its own
    assert re.fullmatch(r"SILVER_REAL_ESTATE 10 rows, DATA_QUALITY_LOG 1 row \d+\.\ds", ends["silver_real_estate"][1])
    assert re.fullmatch(
        r"GOLD_ML_FEATURES \d+ rows?, GOLD_MARKET_ANALYTICS \d+ rows?, GOLD_PRICE_TRENDS \d+ rows? \d+\.\ds",
        ends["gold_tables"][1],
    )
    assert re.fullmatch(r"1 check passed \d+\.\ds", ends["silver_real_estate_silver_quality_share"][1])
    for check in (
        "history_one_current_per_listing",
        "history_versions_contiguous",
        "history_current_price_matches_silver",
    ):
        assert re.fullmatch(r"done 1 check passed \d+\.\ds", " ".join(ends[f"gold_listing_history_{check}"]))
    assert ends["price_model"][0] == "skipped" and ends["price_model"][1].endswith(f"s {reason}")
    assert ends["price_predictions"] == ("skipped", "upstream price_model was not materialized")
    assert ends["price_model_price_model_r2_floor"] == ("skipped", "price_model was not materialized")
    assert {state for state, _ in ends.values()} == {"done", "skipped"}
    # a CI log stays short (issue 21: at most 80 lines for the default `make pipeline`, which has the same
    # sections and no Skipped one): everything but the reasons for skipping fits in 80 lines
    assert len(out.splitlines()) - (len(skipped) + 4) <= 80, out
    # Dagster's own event log went to a file, named at the end of the output: every step that ran succeeded.
    log_path = re.search(r"^Dagster's event log of this run: (.+)$", out, re.M)[1]
    assert log_path.startswith(str(Path(env["MEDALLION_HOME"]) / "logs" / "pipeline-"))
    log = Path(log_path).read_text()
    assert sorted(re.findall(r" - (\w+) - STEP_SUCCESS - ", log)) == sorted(started)
    assert len(re.findall(r" - STEP_SKIPPED - ", log)) == len(steps) - len(started)
