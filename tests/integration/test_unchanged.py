"""A run with nothing new re-scores, retrains and predicts nothing; one new document still flows through.

One Dagster instance across the runs (data versions and the inputs each materialization read live there), the
session's embedded servers, a fresh collection and topic (`stack`). Statements are recorded where every one of
them passes (lib/warehouse.execute_text), by the name of their sql/ file.
"""

from __future__ import annotations

import dagster as dg
import pytest

from medallion_assets.defs.ml import anomalies, predictions, training
from medallion_assets.dev import seeding
from medallion_assets.lib import warehouse
from tests.helpers import materialized, mongo_ids, skip_reasons
from tests.integration.test_faults import ALL

pytestmark = pytest.mark.timeout(600)

ASSETS = [*ALL, anomalies.anomaly_alerts, training.price_model, predictions.price_predictions]
ML = {"anomaly_alerts", "price_model", "model_registry", "feature_importance", "price_predictions"}


def run(stack, instance, statements: list[str], monkeypatch) -> dg.ExecuteInProcessResult:
    statements.clear()
    real = warehouse.execute_text

    def execute_text(conn, statement, what, params=None):
        statements.append(what)
        return real(conn, statement, what, params)

    monkeypatch.setattr(warehouse, "execute_text", execute_text)
    result = dg.materialize(ASSETS, resources=stack, instance=instance, raise_on_error=False)
    monkeypatch.undo()
    assert result.success
    return result


def count(stack, table: str) -> int:
    with warehouse.connect(stack["snowflake"]) as conn:
        return conn.cursor().execute(f"SELECT COUNT(*) AS n FROM {table}").fetchone()[0]  # our table names


def test_nothing_new_rescores_and_retrains_nothing_and_one_new_document_flows_through(stack, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    statements: list[str] = []
    with stack["mongo"].get_collection() as collection:
        assert seeding.insert(collection, 300, 5) == 300
    first = run(stack, instance, statements, monkeypatch)
    assert materialized(first) >= ML
    versions = count(stack, "ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")
    assert versions >= 1

    again = run(stack, instance, statements, monkeypatch)
    # silver finds nothing above its marks (one read) and skips, so nothing after it runs: no gold MERGE, no
    # re-scoring, no training, no prediction
    assert materialized(again) & (ML | {"silver_real_estate", "gold_ml_features"}) == set()
    reasons = skip_reasons(again)
    assert reasons["silver_real_estate"] == "unchanged: no bronze message above silver's high-water marks"
    assert not [s for s in statements if s.startswith(("sql/ml/", "sql/gold/", "sql/silver/merge"))], statements
    assert count(stack, "ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY") == versions  # no model version
    assert instance.get_latest_materialization_event(dg.AssetKey("price_model")).run_id == first.run_id

    # gold alone, with silver unchanged since gold last read it: the ML steps skip with their reasons
    alone = dg.materialize(ASSETS[-4:], resources=stack, instance=instance, raise_on_error=False)
    assert alone.success
    reasons = skip_reasons(alone)
    assert reasons["gold_ml_features"] == "unchanged: silver_real_estate did not change since its last materialization"

    with stack["mongo"].get_collection() as collection:
        assert seeding.insert(collection, 1, 6) == 1
    third = run(stack, instance, statements, monkeypatch)
    ids = mongo_ids(stack)  # the session's warehouse holds other tests' listings too: compare this source's
    assert len(ids) == 301
    with warehouse.connect(stack["snowflake"]) as conn:
        silver = conn.cursor().execute("SELECT id AS id FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE").fetchall()
    assert ids <= {row[0] for row in silver}  # every listing, the new one included
    bronze = "RAW_DB.LANDING.BRONZE_REAL_ESTATE"
    with warehouse.connect(stack["snowflake"]) as conn:
        rows = conn.cursor().execute(
            f"SELECT COUNT(*) AS n FROM {bronze} WHERE kafka_topic = %(t)s", {"t": stack["kafka"].topic}
        )
        assert rows.fetchone()[0] == 301
    # gold changed by one listing: the alerts are re-scored, the model is not retrained (1 of ~300 < 10%)
    assert {"anomaly_alerts", "price_predictions"} <= materialized(third)
    assert "model_registry" not in materialized(third)
    assert count(stack, "ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY") == versions
