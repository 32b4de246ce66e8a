"""`medallion pipeline` end to end on a source too small to train the price model on, run once for the module
with a random token in every secret variable; the token must appear nowhere Dagster records or prints."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from medallion_assets.definitions import defs
from medallion_assets.dev import fakesnow_auth
from medallion_assets.dev.pipeline import write_dagster_yaml
from medallion_assets.dev.pulse_runs import main_job
from medallion_assets.lib.settings import EMBEDDED_SNOWFLAKE_USER
from tests.conftest import WAREHOUSE_REQUEST_LOGS
from tests.helpers import medallion, private_env
from tests.keys import key_pair

# A distinctive value in every secret variable the project reads (docs/configuration.md, lib/settings.py, the
# resources): it must never show up in what Dagster records or prints.
TOKEN = f"tok{secrets.token_hex(12)}"


@dataclass
class Ran:
    env: dict
    done: subprocess.CompletedProcess
    private_key: str  # the PEM in SNOWFLAKE_PRIVATE_KEY (encrypted with TOKEN)


def secret_env(ports: dict, home: Path, private_key: str) -> dict:
    """Every secret variable carrying TOKEN, on services that still sign the run in locally:

    - MONGO_URI: the embedded MongoDB named by a URI with TOKEN as its appname (nx-27017 has no users, so a
      user:password@ would be refused; the URI as a whole is what the code must keep to itself);
    - KAFKA_USERNAME / KAFKA_PASSWORD: the embedded broker as a configured one; PLAINTEXT, so the client does not
      send them (tansu runs without SASL here), but the resource holds them as it would on a SASL cluster;
    - SNOWFLAKE_PRIVATE_KEY (encrypted) and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=TOKEN: the embedded warehouse signs in
      by that key only (its registry holds no password for the user);
    - the lakehouse as a configured one: MEDALLION_ICEBERG_PROPERTIES with TOKEN as the S3 secret key (localbucket
      accepts any), MEDALLION_ICEBERG_CATALOG_TOKEN=TOKEN (a REST catalog's; a SQL catalog ignores it), and
      AWS_SECRET_ACCESS_KEY=TOKEN.
    Not here: SNOWFLAKE_PASSWORD (not allowed with a key: test_a_password_never_leaks_from_a_run), and what
    only a real service uses (SNOWFLAKE_ACCOUNT/USER, a catalog URL with a password, SASL sign-in:
    tests/unit/test_secrets_rendering.py)."""
    return {
        "MEDALLION_EMBEDDED": "snowflake",
        "MONGO_URI": f"mongodb://127.0.0.1:{ports['mongo']}/?appname={TOKEN}",
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
        "KAFKA_CREATE_TOPIC": "true",
        "KAFKA_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_USERNAME": f"user{TOKEN}",
        "KAFKA_PASSWORD": TOKEN,
        "SNOWFLAKE_PRIVATE_KEY": private_key,
        "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": TOKEN,
        "MEDALLION_ICEBERG_CATALOG_URI": f"sqlite:///{home / 'lakehouse' / 'catalog.db'}",
        "MEDALLION_ICEBERG_WAREHOUSE": "s3://medallion-lakehouse/",
        "MEDALLION_ICEBERG_PROPERTIES": json.dumps(
            {
                "s3.endpoint": f"http://127.0.0.1:{ports['s3']}",
                "s3.access-key-id": "local",
                "s3.secret-access-key": TOKEN,
                "s3.region": "us-east-1",
            }
        ),
        "MEDALLION_ICEBERG_CATALOG_TOKEN": TOKEN,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": TOKEN,
    }


@pytest.fixture(scope="module")
def ran(services_home, warehouse_port, tmp_path_factory) -> Ran:
    """`medallion pipeline --count 10` once for this module, on a fresh collection and topic, the module's own
    warehouse and a MEDALLION_HOME and DAGSTER_HOME of its own (tests/helpers.py private_env): gold holds these 10
    listings only. Every secret variable carries TOKEN (secret_env)."""
    tmp = tmp_path_factory.mktemp("pipeline")
    env = private_env(services_home, warehouse_port, tmp)
    suffix = secrets.token_hex(4)
    env.update(MONGO_COLLECTION=f"details_pipeline_{suffix}", KAFKA_TOPIC=f"data_ingestion_pipeline_{suffix}")
    private_key, public_key = key_pair(TOKEN)
    fakesnow_auth.register(
        WAREHOUSE_REQUEST_LOGS[warehouse_port].parent, EMBEDDED_SNOWFLAKE_USER, public_key_pem=public_key
    )
    ports = json.loads((services_home / "services.json").read_text())["ports"]
    env.update(secret_env(ports, Path(env["MEDALLION_HOME"]), private_key))
    done = medallion(env, "pipeline", "--count", "10", "--no-services")
    return Ran(env, done, private_key)


def test_pipeline_on_ten_listings_exits_0_and_names_what_it_skipped(ran):
    env, done = ran.env, ran.done
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
        "anomaly_alerts / anomaly_rate_within_bounds check passed as skipped: only 10 gold listings (fewer than "
        "min_gold_rows 100); 0 have an open alert",
        "(4 rows)",
        # price_predictions, and the checks of model_registry, price_model and price_predictions: no step line
        # of their own off a terminal (asserted below); the event log names each
        "and 4 asset(s) and check(s) after them not run: an upstream asset was not materialized",
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
    # each step that started once, none "running"; the 4 that Dagster skipped after an unmaterialized upstream
    # asset (counted under Skipped) print no line
    started = sorted(ends)
    assert len(states) == len(started) == len(steps) - 4 and set(started) < set(steps)
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
    assert "price_predictions" not in ends and "price_model_price_model_r2_floor" not in ends
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


def _forbidden(private_key: str | None = None) -> list[str]:
    """TOKEN, and each base64 line of the private key's PEM (the key itself is a secret too)."""
    lines = [] if private_key is None else [line for line in private_key.splitlines() if not line.startswith("-----")]
    return [TOKEN, *lines]


def _leaks(text: str, forbidden: list[str]) -> list[str]:
    return [value[:12] + "..." for value in forbidden if value in text]


def _recorded(dagster_home: Path, forbidden: list[str]) -> dict:
    """Where the forbidden values appear in what the Dagster instance recorded: each run (its run config and tags),
    each event of its event log, each metadata value of a materialization, observation or check evaluation, and
    each captured stdout/stderr of a step. Also counts what was looked at, so an empty instance cannot pass."""
    from dagster._serdes import serialize_value

    found: dict[str, list[str]] = {}
    counts = {"runs": 0, "events": 0, "metadata values": 0, "compute logs": 0}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run in instance.get_runs():
            counts["runs"] += 1
            for what, text in (
                ("run config", json.dumps(run.run_config, default=str)),
                ("run", serialize_value(run)),
            ):
                if leaked := _leaks(text, forbidden):
                    found[f"{what} of {run.run_id[:8]}"] = leaked
            for entry in instance.all_logs(run.run_id):
                counts["events"] += 1
                if leaked := _leaks(serialize_value(entry), forbidden):
                    found[f"event {entry.dagster_event_type or entry.user_message[:40]} of {run.run_id[:8]}"] = leaked
                event = entry.dagster_event
                data = event.event_specific_data if event else None
                carrier = getattr(data, "materialization", None) or getattr(data, "asset_observation", None) or data
                metadata = getattr(carrier, "metadata", None) or {}
                for label, value in metadata.items():
                    counts["metadata values"] += 1
                    if leaked := _leaks(f"{label} {getattr(value, 'value', value)}", forbidden):
                        found[f"metadata {label} of {run.run_id[:8]}"] = leaked
    counts["compute logs"] = len([p for p in dagster_home.rglob("*") if p.suffix in (".out", ".err") and p.is_file()])
    return {"found": found, "counts": counts}


def _files_with(folder: Path, forbidden: list[str]) -> list[str]:
    """Files under `folder` holding a forbidden value, byte for byte (SQLite pages keep text as UTF-8)."""
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and any(value.encode() in path.read_bytes() for value in forbidden)
    ]


def test_no_secret_appears_in_the_run_its_events_metadata_logs_or_files(ran, warehouse_requests):
    assert ran.done.returncode == 0, ran.done.stdout[-3000:] + ran.done.stderr[-3000:]
    forbidden = _forbidden(ran.private_key)
    dagster_home = Path(ran.env["DAGSTER_HOME"])
    recorded = _recorded(dagster_home, forbidden)
    assert recorded["found"] == {}
    counts = recorded["counts"]
    # the main run and the market-pulse runs (3 on this source), their events and metadata, each run's captured
    # stdout and stderr (the in-process executor captures per run)
    assert counts["runs"] >= 2 and counts["events"] > 250 and counts["metadata values"] > 400, counts
    assert counts["compute logs"] == 2 * counts["runs"], counts
    assert _files_with(dagster_home, forbidden) == []  # storage, event logs, compute logs, dagster.yaml
    assert _files_with(Path(ran.env["MEDALLION_HOME"]) / "logs", forbidden) == []  # the pipeline's event log file
    assert _leaks(ran.done.stdout + ran.done.stderr, forbidden) == []  # what the command printed
    assert _leaks(warehouse_requests.read_text(), forbidden) == []  # every statement the warehouse received
    # the values really were in the environment of the run, and the run signed in by the key (no password)
    registry = json.loads(fakesnow_auth.registry_path(warehouse_requests.parent).read_text())
    assert "password" not in registry[EMBEDDED_SNOWFLAKE_USER.upper()]
    assert ran.env["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"] == ran.env["KAFKA_PASSWORD"] == TOKEN


def test_a_password_never_leaks_from_a_run(ran, warehouse_requests, tmp_path, monkeypatch, capfd):
    """SNOWFLAKE_PASSWORD instead of the key (a person's sign-in; never both): the embedded user's password is
    TOKEN now, so a run of silver and its checks, with the resources the code location builds from this
    environment, signs in with it; it appears nowhere either."""
    from medallion_assets.defs.resources import build_resources
    from medallion_assets.defs.silver import assets as silver_assets
    from medallion_assets.defs.silver import checks as silver_checks

    fakesnow_auth.register(warehouse_requests.parent, EMBEDDED_SNOWFLAKE_USER, password=TOKEN)
    for name, value in ran.env.items():
        if not name.startswith("SNOWFLAKE_PRIVATE_KEY"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", TOKEN)
    home = tmp_path / "dagster"
    home.mkdir()
    write_dagster_yaml(home / "dagster.yaml")
    checks = [
        silver_checks.silver_quality_share,
        silver_checks.silver_ids_unique,
        silver_checks.silver_reconciles_with_bronze,
        silver_checks.silver_matches_source,
    ]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        resources = build_resources()
        assert resources["snowflake"].password == dg.EnvVar("SNOWFLAKE_PASSWORD")  # read by Dagster in the run
        result = dg.materialize(
            [silver_assets.silver_real_estate, *checks], resources=resources, instance=instance, raise_on_error=False
        )
    assert result.success and len(result.get_asset_check_evaluations()) == 4

    recorded = _recorded(home, [TOKEN])
    assert recorded["found"] == {} and recorded["counts"]["runs"] == 1 and recorded["counts"]["metadata values"] > 20
    assert _files_with(home, [TOKEN]) == []
    printed = capfd.readouterr()
    assert _leaks(printed.out + printed.err, [TOKEN]) == []
    assert _leaks(warehouse_requests.read_text(), [TOKEN]) == []
