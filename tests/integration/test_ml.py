"""The ML layer against a real embedded warehouse (a fakesnow server of this module's own, on a free port).

Gold rows are written by hand: a small hand-made population for the z-score alerts, whose expected
z-scores are worked out below from the listed prices, and a realistic synthetic population (drawn from the
synthetic generator's cities, districts and property types) for the Isolation Forest and the price model.
"""

import datetime as dt
import hashlib
import math
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medallion_assets.defs.ml import anomalies as anomalies_defs
from medallion_assets.defs.ml import predictions as predictions_defs
from medallion_assets.defs.ml import training as training_defs
from medallion_assets.defs.semantic.checks import v_active_anomalies_matches_open_alerts
from medallion_assets.dev.synthetic import CITIES, PROPERTY_TYPES, REFERENCE_DATE
from medallion_assets.lib import anomalies, artifacts, charts, ml_model, ml_tables, predictions, registry, warehouse
from medallion_assets.lib.errors import MedallionError

GOLD = "ANALYTICS_DB.DWH.GOLD_ML_FEATURES"
ML_TABLES = [
    "ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS",
    "ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES",
    "ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS",
    "ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY",
    "ANALYTICS_DB.ML_RESULTS.FEATURE_IMPORTANCE",
]
Z_ONLY = anomalies.AnomalyConfig(isolation_forest=False)
# Small, quick models: the tests are about the registry's rules, not about accuracy.
FAST = {"rf_n_estimators": 30, "hgb_max_iter": 100, "importance_repeats": 2, "n_threads": 1}


# --- the embedded warehouse ------------------------------------------------------------------------


@pytest.fixture
def conn(module_conn):
    """The connection (current schema ANALYTICS_DB.ML_RESULTS), with gold and every ML table emptied."""
    module_conn.cursor().execute(f"USE SCHEMA {ml_tables.SCHEMA}")
    for table in [GOLD, *ML_TABLES]:
        module_conn.cursor().execute(f"DELETE FROM {table}")
    empty_stage(module_conn)
    return module_conn


def empty_stage(conn) -> None:
    """The ML stage without a file (model artifacts of earlier tests)."""
    conn.cursor().execute(f"CREATE OR REPLACE STAGE {ml_tables.STAGE} FILE_FORMAT = (TYPE = PARQUET)")


# --- gold rows --------------------------------------------------------------------------------------

GOLD_COLUMNS = [
    "id",
    "property_type",
    "price",
    "price_per_sqm",
    "area",
    "bedrooms",
    "bathrooms",
    "rooms_total",
    "city",
    "district",
    "latitude",
    "longitude",
    "posted_date",
]


def listing(id_, city, price, area=100.0, district="D1", property_type="Nhà", bedrooms=3, bathrooms=2):
    return {
        "id": id_,
        "property_type": property_type,
        "price": float(price),
        "price_per_sqm": float(price) / area if area else None,
        "area": area,
        "bedrooms": bedrooms,
        "bathrooms": bathrooms,
        "rooms_total": (bedrooms or 0) + (bathrooms or 0),
        "city": city,
        "district": district,
        "latitude": 10.0,
        "longitude": 106.0,
        "posted_date": "2026-05-01",
    }


def insert_gold(conn, rows) -> None:
    """Gold rows through a staged Parquet file and COPY INTO (the bulk path)."""
    frame = pd.DataFrame(rows, columns=GOLD_COLUMNS) if not isinstance(rows, pd.DataFrame) else rows
    frame = frame[GOLD_COLUMNS].copy()
    frame["posted_date"] = frame["posted_date"].astype(str)
    for column in ("bedrooms", "bathrooms", "rooms_total"):
        frame[column] = frame[column].astype("Int64")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"gold_{uuid.uuid4().hex}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        warehouse.put_file(conn, path, ml_tables.STAGE)
        conn.cursor().execute(
            f"COPY INTO {GOLD} ({', '.join(GOLD_COLUMNS)}, processed_at) FROM (SELECT "
            "$1:id::VARCHAR, $1:property_type::VARCHAR, $1:price::FLOAT, $1:price_per_sqm::FLOAT, $1:area::FLOAT, "
            "$1:bedrooms::INTEGER, $1:bathrooms::INTEGER, $1:rooms_total::INTEGER, $1:city::VARCHAR, "
            "$1:district::VARCHAR, $1:latitude::FLOAT, $1:longitude::FLOAT, $1:posted_date::DATE, "
            f"CURRENT_TIMESTAMP() FROM @{ml_tables.STAGE}/{path.name}) FILE_FORMAT = (TYPE = PARQUET) PURGE = TRUE"
        )


def set_price(conn, id_, price, area=100.0) -> None:
    conn.cursor().execute(
        f"UPDATE {GOLD} SET price = %(p)s, price_per_sqm = %(p)s / %(a)s WHERE id = %(id)s",
        {"p": float(price), "a": area, "id": id_},
    )


def realistic_gold(n: int, seed: int = 7, outliers: int = 0) -> pd.DataFrame:
    """Gold rows drawn like the synthetic generator draws listings: city by weight, a district with its own
    price level, log-normal area per property type, rooms from area, price per m² log-normal around the
    district level. `outliers` listings get a price 50x too high or too low (as the generator plants)."""
    rng = np.random.default_rng(seed)
    types = list(PROPERTY_TYPES)
    city_w = np.array([c.weight for c in CITIES])
    type_w = np.array([PROPERTY_TYPES[t].weight for t in types])
    rows = []
    for k in range(n):
        city = CITIES[rng.choice(len(CITIES), p=city_w / city_w.sum())]
        district = city.districts[rng.integers(len(city.districts))]
        kind = types[rng.choice(len(types), p=type_w / type_w.sum())]
        profile = PROPERTY_TYPES[kind]
        area = round(
            float(
                np.clip(
                    rng.lognormal(math.log(profile.area_median_m2), profile.area_sigma),
                    profile.area_min_m2,
                    profile.area_max_m2,
                )
            ),
            1,
        )
        bedrooms = 0 if kind == "Đất" else int(np.clip(round(area / 30 + rng.normal(0, 0.5)), 1, 8))
        bathrooms = 0 if kind == "Đất" else max(1, bedrooms - int(rng.integers(0, 2)))
        per_m2 = district.median_million_per_m2 * profile.price_factor * rng.lognormal(0.0, 0.3)
        price = round(per_m2 * area) * 1e6
        row = listing(f"L{k:06d}", city.name, price, area, district.name, kind, bedrooms, bathrooms)
        row.update(
            latitude=district.latitude + rng.normal(0, 0.008),
            longitude=district.longitude + rng.normal(0, 0.008),
            posted_date=str(REFERENCE_DATE - dt.timedelta(days=int(rng.integers(1, 731)))),
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    planted = sorted(rng.choice(n, size=outliers, replace=False))
    for i, index in enumerate(planted):
        factor = 50.0 if i % 2 == 0 else 1 / 50.0
        frame.loc[index, "price"] *= factor
        frame.loc[index, "price_per_sqm"] *= factor
    frame.attrs["planted"] = sorted(frame.loc[planted, "id"])
    return frame


def alerts(conn, where: str = "TRUE") -> list[dict]:
    cursor = conn.cursor().execute(
        "SELECT alert_id AS alert_id, property_id AS property_id, anomaly_type AS anomaly_type, "
        "anomaly_score AS anomaly_score, expected_value AS expected_value, actual_value AS actual_value, "
        "severity AS severity, description AS description, is_resolved AS is_resolved, "
        "resolved_at IS NOT NULL AS has_resolved_at, resolution AS resolution, "
        "TO_VARCHAR(detected_at) AS detected_at, TO_VARCHAR(last_detected_at) AS last_detected_at "
        f"FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS WHERE {where} ORDER BY property_id, anomaly_type, detected_at"
    )
    columns = [c[0].lower() for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def z_of(values: list[float], x: float) -> float:
    return abs(x - statistics.mean(values)) / statistics.stdev(values)


# --- z-score alerts ------------------------------------------------------------------------------------

# City A: 19 ordinary prices 1.1 .. 2.9 bn (step 0.1 bn) and one at 20 bn, all 100 m².
#   mean = (19 * 2.0 + 20) / 20 = 2.9 bn; squared deviations: sum_{j=-18..0} (j * 0.1 bn)^2 = 2109e16 for the
#   ordinary ones, (17.1 bn)^2 = 29241e16 for the outlier; sample variance = 31350e16 / 19 = 1650e16,
#   stddev = sqrt(1650) * 1e8 = 4.0620 bn, z = 17.1 / 4.0620 = 4.2097 > 4 -> HIGH.
# City B: the same 19 and one at 8 bn: mean 2.3 bn, variance (741e16 + 3249e16) / 19 = 210e16,
#   stddev = 1.4491 bn, z = 5.7 / 1.4491 = 3.9334 -> MEDIUM (3 < z <= 4).
# Area is 100 m² everywhere, so price per m² has the same z-scores.
ORDINARY = [2.0e9 + k * 1e8 for k in range(-9, 10)]
CITY_A = {f"A{i:02d}": p for i, p in enumerate(ORDINARY)} | {"A_OUT": 20e9}
CITY_B = {f"B{i:02d}": p for i, p in enumerate(ORDINARY)} | {"B_OUT": 8e9}
# City C: 4 listings, one wildly off: fewer than 5 values, never scored.
CITY_C = {"C0": 1e9, "C1": 1e9, "C2": 1e9, "C3": 500e9}


def hand_made(conn):
    rows = [listing(i, "City A", p) for i, p in CITY_A.items()]
    rows += [listing(i, "City B", p) for i, p in CITY_B.items()]
    rows += [listing(i, "City C", p) for i, p in CITY_C.items()]
    insert_gold(conn, rows)


def test_planted_outliers_get_hand_computed_z_and_severity(conn):
    hand_made(conn)
    result = anomalies.detect_anomalies(conn, Z_ONLY)
    assert result["opened"] == 4 and result["refreshed"] == 0 and result["resolved"] == 0

    found = {(a["property_id"], a["anomaly_type"]): a for a in alerts(conn)}
    assert set(found) == {(i, t) for i in ("A_OUT", "B_OUT") for t in anomalies.Z_SCORE_TYPES}
    for id_, values, z_by_hand, severity in (
        ("A_OUT", list(CITY_A.values()), 17.1 / math.sqrt(16.5), "HIGH"),
        ("B_OUT", list(CITY_B.values()), 5.7 / math.sqrt(2.1), "MEDIUM"),
    ):
        assert z_of(values, values[-1]) == pytest.approx(z_by_hand, rel=1e-12)
        for kind, scale in (("PRICE_OUTLIER", 1.0), ("PRICE_PER_SQM_OUTLIER", 100.0)):
            alert = found[(id_, kind)]
            assert alert["anomaly_score"] == pytest.approx(z_by_hand, rel=1e-9)
            assert alert["severity"] == severity
            assert alert["expected_value"] == pytest.approx(statistics.mean(values) / scale, rel=1e-12)
            assert alert["actual_value"] == pytest.approx(values[-1] / scale)
            assert alert["is_resolved"] is False and not alert["has_resolved_at"]
            assert f"is {round(z_by_hand, 2)} standard deviations above the mean" in alert["description"]
    # the stored scores, against the z-scores worked out by hand in the comment above
    assert {id_: round(found[(id_, "PRICE_OUTLIER")]["anomaly_score"], 4) for id_ in ("A_OUT", "B_OUT")} == {
        "A_OUT": 4.2097,
        "B_OUT": 3.9334,
    }
    # City C (4 listings) is never scored, however far off C3 is.
    assert not [a for a in alerts(conn) if a["property_id"].startswith("C")]
    # The semantic view shows exactly the open alerts, with their listing's city.
    from medallion_assets.lib import semantic

    assert semantic.refresh_views(conn)["v_active_anomalies"] == 4
    shown = (
        conn.cursor()
        .execute(
            "SELECT property_id AS p, city AS c, severity AS s FROM ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES "
            "WHERE anomaly_type = 'PRICE_OUTLIER' ORDER BY property_id"
        )
        .fetchall()
    )
    assert [(p, s) for p, _c, s in shown] == [("A_OUT", "HIGH"), ("B_OUT", "MEDIUM")]


def test_active_anomalies_view_check_counts_each_open_alert_once(conn, snowflake_resource):
    from medallion_assets.lib import semantic

    hand_made(conn)
    anomalies.detect_anomalies(conn, Z_ONLY)
    semantic.refresh_views(conn)

    def check() -> tuple:
        result = v_active_anomalies_matches_open_alerts(snowflake=snowflake_resource)
        meta = result.metadata
        return (
            result.passed,
            meta["view_rows"].value,
            meta["open_alerts"].value,
            meta["open_alerts_without_listing"].value,
        )

    assert check() == (True, 4, 4, 0)
    conn.cursor().execute(  # a resolved alert is neither open nor shown
        "UPDATE ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS SET is_resolved = TRUE "
        "WHERE property_id = 'B_OUT' AND anomaly_type = 'PRICE_OUTLIER'"
    )
    assert check() == (True, 3, 3, 0)

    # A_OUT leaves gold behind the alerts' back: its two open alerts drop out of the view's join
    conn.cursor().execute(f"DELETE FROM {GOLD} WHERE id = 'A_OUT'")
    failed = v_active_anomalies_matches_open_alerts(snowflake=snowflake_resource)
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.description == "V_ACTIVE_ANOMALIES shows 1 rows; open_alerts = 3"
    assert check() == (False, 1, 3, 2)

    insert_gold(conn, [listing("A_OUT", "City A", 20e9)])  # back: consistent again
    assert check() == (True, 3, 3, 0)
    insert_gold(conn, [listing("A_OUT", "City A", 20e9)])  # a second gold row for A_OUT: its alerts show twice
    assert check() == (False, 5, 3, 0)

    conn.cursor().execute("DROP VIEW ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES")
    try:
        dropped = v_active_anomalies_matches_open_alerts(snowflake=snowflake_resource)
        assert not dropped.passed and dropped.description.startswith("V_ACTIVE_ANOMALIES cannot be queried")
        assert dropped.metadata["open_alerts"].value == 3 and "view_rows" not in dropped.metadata
    finally:
        semantic.refresh_views(conn)


def test_cities_below_min_listings_get_no_alert_even_when_the_threshold_is_reachable(conn):
    # With the sample stddev a single value among n lies at most (n-1)/sqrt(n) deviations from the mean:
    # 1.5 for n=4, 1.789 for n=5. With a threshold of 1.2 both could alert; only the 5-listing city may.
    rows = [listing(f"D{i}", "City D", p) for i, p in enumerate([1e9, 1e9, 1e9, 10e9])]
    rows += [listing(f"E{i}", "City E", p) for i, p in enumerate([1e9, 1e9, 1e9, 1e9, 10e9])]
    insert_gold(conn, rows)
    anomalies.detect_anomalies(
        conn, anomalies.AnomalyConfig(isolation_forest=False, z_threshold=1.2, high_z_threshold=4.0)
    )
    flagged = alerts(conn)
    assert {(a["property_id"], a["anomaly_type"]) for a in flagged} == {("E4", t) for t in anomalies.Z_SCORE_TYPES}
    assert (
        flagged[0]["anomaly_score"] == pytest.approx(4 / math.sqrt(5)) == pytest.approx(z_of([1e9] * 4 + [10e9], 10e9))
    )
    assert flagged[0]["severity"] == "MEDIUM"


def test_rerun_refreshes_resolves_and_reopens(conn):
    hand_made(conn)
    first = anomalies.detect_anomalies(conn, Z_ONLY, run_at=dt.datetime(2026, 11, 1, 8, 0))
    before = alerts(conn)
    second = anomalies.detect_anomalies(conn, Z_ONLY, run_at=dt.datetime(2026, 11, 2, 8, 0))
    after = alerts(conn)
    assert (first["opened"], second["opened"], second["refreshed"], second["resolved"]) == (4, 0, 4, 0)
    assert [a["alert_id"] for a in after] == [a["alert_id"] for a in before]  # no alert doubled
    assert {a["detected_at"] for a in after} == {a["detected_at"] for a in before}
    assert all(a["last_detected_at"].startswith("2026-11-02") for a in after)

    set_price(conn, "A_OUT", 2.0e9)  # back to an ordinary price
    third = anomalies.detect_anomalies(conn, Z_ONLY, run_at=dt.datetime(2026, 11, 3, 8, 0))
    assert third["resolved"] == 2 and third["opened"] == 0
    resolved = alerts(conn, "property_id = 'A_OUT'")
    assert len(resolved) == 2
    assert all(a["is_resolved"] and a["has_resolved_at"] for a in resolved)
    assert {a["resolution"] for a in resolved} == {"NO_LONGER_ANOMALOUS"}
    assert all(not a["is_resolved"] for a in alerts(conn, "property_id = 'B_OUT'"))

    set_price(conn, "A_OUT", 20e9)  # anomalous again: a new alert, the old one stays resolved
    anomalies.detect_anomalies(conn, Z_ONLY, run_at=dt.datetime(2026, 11, 4, 8, 0))
    history = alerts(conn, "property_id = 'A_OUT' AND anomaly_type = 'PRICE_OUTLIER'")
    assert [a["is_resolved"] for a in history] == [True, False]
    assert history[0]["alert_id"] != history[1]["alert_id"]

    conn.cursor().execute(f"DELETE FROM {GOLD} WHERE id = 'B_OUT'")  # the listing left gold
    anomalies.detect_anomalies(conn, Z_ONLY, run_at=dt.datetime(2026, 11, 5, 8, 0))
    assert {a["resolution"] for a in alerts(conn, "property_id = 'B_OUT'")} == {"LISTING_REMOVED"}
    integrity = warehouse.fetch_one(conn, "ml/check_alert_integrity")
    assert (int(integrity["orphan_alerts"]), int(integrity["duplicated_open_pairs"])) == (0, 0)


def test_isolation_forest_flags_planted_outliers_deterministically(conn):
    gold = realistic_gold(2000, outliers=8)
    insert_gold(conn, gold)
    planted = set(gold.attrs["planted"])
    assert len(planted) == 8
    result = anomalies.detect_anomalies(conn, anomalies.AnomalyConfig(contamination=0.01))
    assert result["isolation_forest"]["flagged"] == 20
    first = {a["property_id"]: a for a in alerts(conn, "anomaly_type = 'ISOLATION_FOREST'")}
    assert planted <= set(first)  # every planted 50x price is among the 1% the forest isolates
    assert all(0 < a["anomaly_score"] <= 1 and a["severity"] in ("HIGH", "MEDIUM") for a in first.values())
    again = anomalies.detect_anomalies(conn, anomalies.AnomalyConfig(contamination=0.01))
    assert again["opened"] == 0 and again["resolved"] == 0
    assert {a["property_id"]: a["anomaly_score"] for a in alerts(conn, "anomaly_type = 'ISOLATION_FOREST'")} == {
        k: a["anomaly_score"] for k, a in first.items()
    }


# --- price model and registry --------------------------------------------------------------------------


def registry_statuses(conn) -> dict[str, str]:
    rows = (
        conn.cursor()
        .execute("SELECT model_version AS v, status AS s FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")
        .fetchall()
    )
    return {v: s for v, s in rows}


def test_registry_versions_promotion_and_champion_loading(conn, tmp_path):
    insert_gold(conn, realistic_gold(1500))
    weak = registry.PriceModelConfig(
        candidates=["random_forest"],
        rf_n_estimators=3,
        rf_max_depth=1,
        importance_repeats=2,
        n_threads=1,
        min_r2=-1.0,  # a floor this weak model (r2_log about -0.09) passes: this test is about promotion by MAE
    )
    strong = registry.PriceModelConfig(**FAST)

    first = registry.train_price_model(conn, weak)  # the first model of a name above the floor is champion
    assert (first.status, first.newly_registered) == ("champion", True)

    best = registry.train_price_model(conn, strong)  # beats it on the same holdout: promoted, the old one archived
    assert best.status == "champion" and best.champion_before == first.model_version
    assert best.metrics["mae"] < best.champion_metrics["mae"]
    assert set(best.candidates) == {"random_forest", "hist_gradient_boosting"}
    assert registry_statuses(conn) == {first.model_version: "archived", best.model_version: "champion"}
    assert best.metrics["r2_log"] >= 0.6 and best.holdout_rows + best.training_rows == 1500

    again = registry.train_price_model(conn, strong)  # same data + parameters: same version, no second row
    assert again.model_version == best.model_version and not again.newly_registered
    assert again.metrics == best.metrics
    assert registry_statuses(conn) == {first.model_version: "archived", best.model_version: "champion"}

    worse = registry.train_price_model(
        conn,
        registry.PriceModelConfig(
            candidates=["random_forest"],
            rf_n_estimators=3,
            rf_max_depth=2,
            importance_repeats=2,
            n_threads=1,
            min_r2=-1.0,
        ),
    )
    assert worse.status == "challenger" and worse.champion_before == best.model_version
    assert worse.metrics["mae"] >= worse.champion_metrics["mae"]
    assert registry_statuses(conn) == {
        first.model_version: "archived",
        best.model_version: "champion",
        worse.model_version: "challenger",
    }
    assert warehouse.fetch_one(conn, "ml/check_registry_status", {"model_name": "price_model"})["champions"] == 1

    # The importance of each version is ranked 1..n over every input, and never names a leaking column.
    ranks = warehouse.fetch_all(conn, "ml/importance_read", {"model_version": best.model_version})
    assert [r["rank"] for r in ranks] == list(range(1, len(ml_model.INPUT_COLUMNS) + 1))
    assert {r["feature_name"] for r in ranks} == set(ml_model.INPUT_COLUMNS)
    assert not set(ml_model.LEAKY_COLUMNS) & set(ml_model.INPUT_COLUMNS)
    scores = [r["importance_score"] for r in ranks]
    assert scores == sorted(scores, reverse=True)

    # The saved champion loads and predicts what the fitted pipeline predicted at training time.
    champion = registry.load_champion(conn)
    gold = ml_tables.read_gold(conn)
    holdout = gold[ml_model.holdout_mask(gold["id"], 0.2)]
    predicted = champion.predict(holdout)
    assert np.all(np.isfinite(predicted)) and np.all(predicted > 0)
    np.testing.assert_allclose(predicted, best.pipeline.predict(holdout), rtol=1e-12)
    assert best.artifact_location == f"@ANALYTICS_DB.ML_RESULTS.ML_STAGE/models/price_model/{best.model_version}.joblib"

    # Predictions: one per held-out listing (version trained last), one per listing for the champion.
    result = predictions.write_predictions(conn)
    assert (result["holdout_version"], result["champion_version"]) == (worse.model_version, best.model_version)
    counts = {
        (r["prediction_set"], r["model_version"]): (int(r["predictions"]), int(r["listings"]))
        for r in warehouse.fetch_all(conn, "ml/predictions_summary")
    }
    assert counts == {
        ("holdout", worse.model_version): (len(holdout), len(holdout)),
        ("current", best.model_version): (1500, 1500),
    }


def test_same_data_and_parameters_give_the_same_version_across_fresh_registries(conn, tmp_path):
    insert_gold(conn, realistic_gold(600, seed=11))
    config = registry.PriceModelConfig(
        candidates=["hist_gradient_boosting"],
        **{k: v for k, v in FAST.items() if k != "rf_n_estimators"},
    )
    one = registry.train_price_model(conn, config)
    conn.cursor().execute("DELETE FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY")
    two = registry.train_price_model(conn, config)
    assert one.model_version == two.model_version and two.newly_registered
    changed = registry.train_price_model(
        conn, registry.PriceModelConfig(**{**config.model_dump(), "hgb_learning_rate": 0.05})
    )
    assert changed.model_version != one.model_version
    set_price(conn, "L000001", 123e9)  # one price changed: a different snapshot, a different version
    assert registry.train_price_model(conn, config).model_version not in (one.model_version, changed.model_version)


def staged_models(conn) -> list[str]:
    return sorted(
        str(row[0]).rsplit("/", 1)[-1] for row in conn.cursor().execute(f"LIST @{ml_tables.STAGE}").fetchall()
    )


def put_as(conn, name: str, content: bytes, folder: str = "models/price_model") -> None:
    """Replace a staged file by `content` (a file of that name PUT over it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        conn.cursor().execute(f"PUT 'file://{path}' @{ml_tables.STAGE}/{folder}/ AUTO_COMPRESS=FALSE OVERWRITE=TRUE")


def test_a_champion_whose_artifact_changed_fails_training_and_predictions_naming_the_version(conn):
    insert_gold(conn, realistic_gold(600, seed=5))
    weak = registry.PriceModelConfig(
        candidates=["random_forest"],
        rf_n_estimators=3,
        rf_max_depth=3,
        min_r2=0.0,
        **{k: v for k, v in FAST.items() if k != "rf_n_estimators"},
    )
    first = registry.train_price_model(conn, weak)
    assert first.status == "champion"
    row = registry_row(conn, first.model_version)
    assert row["artifact_location"] == first.artifact_location and len(row["artifact_sha256"]) == 64
    assert staged_models(conn) == [f"{first.model_version}.joblib"]

    put_as(conn, f"{first.model_version}.joblib", b"not the model that was registered")
    with pytest.raises(MedallionError) as raised:
        registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    mismatch = (
        f"model version {first.model_version} of 'price_model': artifact {first.artifact_location} has SHA-256 "
        f"{hashlib.sha256(b'not the model that was registered').hexdigest()}, the registry recorded "
        f"{row['artifact_sha256']}; it was changed after registration: retrain it or archive it"
    )
    assert str(raised.value) == (
        f"champion {first.model_version} of 'price_model' could not be re-scored on today's holdout (ArtifactError: "
        f"{mismatch}); nothing was registered and it stays champion: restore its "
        f"artifact {first.artifact_location} or archive it in the registry"
    )
    assert registry_statuses(conn) == {first.model_version: "champion"}  # the new model was not registered
    assert staged_models(conn) == [f"{first.model_version}.joblib"]
    with pytest.raises(artifacts.ArtifactError) as raised:
        predictions.write_predictions(conn)
    assert str(raised.value) == mismatch


def registry_row(conn, version: str) -> dict:
    return warehouse.fetch_one(conn, "ml/registry_get", {"model_name": "price_model", "model_version": version})


def test_a_version_registered_with_a_local_artifact_moves_to_the_stage_once(conn, tmp_path):
    """Rows written before artifacts moved to the stage: a local path, no checksum."""
    insert_gold(conn, realistic_gold(600, seed=5))
    first = registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    pipeline, info = artifacts.load(conn, registry_row(conn, first.model_version))
    legacy = ml_model.save_artifact(
        tmp_path / "models" / "price_model" / f"{first.model_version}.joblib", pipeline, info
    )
    conn.cursor().execute(
        "UPDATE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY SET artifact_location = %(path)s, artifact_sha256 = NULL",
        {"path": str(legacy)},
    )
    empty_stage(conn)
    assert staged_models(conn) == []

    result = predictions.write_predictions(conn)  # loads the champion: moves its file to the stage first
    assert result["champion_version"] == first.model_version
    row = registry_row(conn, first.model_version)
    assert row["artifact_location"] == first.artifact_location
    assert row["artifact_sha256"] == hashlib.sha256(legacy.read_bytes()).hexdigest()
    assert staged_models(conn) == [f"{first.model_version}.joblib"]
    legacy.unlink()  # from now on the stage is read, and checked against the recorded checksum
    assert registry.load_champion(conn) is not None

    # A local artifact that is not here: one line naming the version and the way out.
    missing = tmp_path / "gone" / "x.joblib"
    conn.cursor().execute(
        "UPDATE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY SET artifact_location = %(path)s, artifact_sha256 = NULL",
        {"path": str(missing)},
    )
    with pytest.raises(artifacts.ArtifactError) as raised:
        registry.load_champion(conn)
    assert str(raised.value) == (
        f"model version {first.model_version} of 'price_model' was registered before artifacts moved to the warehouse "
        f"stage, and its file {missing} is not readable here: load it once where that file is (it then moves to "
        f"@ANALYTICS_DB.ML_RESULTS.ML_STAGE), or archive the version in the registry and retrain"
    )


def test_retraining_a_version_whose_artifact_was_lost_puts_it_back(conn):
    insert_gold(conn, realistic_gold(600, seed=5))
    first = registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    empty_stage(conn)
    with pytest.raises(artifacts.ArtifactError, match=f"model version {first.model_version} of 'price_model': its"):
        registry.load_champion(conn)
    again = registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    assert (again.model_version, again.newly_registered) == (first.model_version, False)
    assert staged_models(conn) == [f"{first.model_version}.joblib"]
    assert registry.load_champion(conn) is not None  # the new file's checksum is the one recorded


def test_training_and_predictions_need_no_writable_folder_but_the_temp_dir(conn, tmp_path, monkeypatch):
    """MEDALLION_HOME and HOME below a plain file: nothing can be created there (not even by root)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MEDALLION_HOME", str(blocker / "medallion"))
    monkeypatch.setenv("HOME", str(blocker / "home"))
    insert_gold(conn, realistic_gold(600, seed=5))
    first = registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    again = registry.train_price_model(conn, registry.PriceModelConfig(**{**FAST, "hgb_learning_rate": 0.05}))
    assert again.champion_metrics is not None  # the champion was read back from the stage and re-scored
    result = predictions.write_predictions(conn)
    assert result["holdout_predictions"] > 0 and result["current_predictions"] == 600
    assert staged_models(conn) == sorted({f"{first.model_version}.joblib", f"{again.model_version}.joblib"})
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_a_model_below_the_r2_floor_is_rejected_and_the_champion_stays(conn, snowflake_resource, tmp_path):
    insert_gold(conn, realistic_gold(600, seed=5))
    first = registry.train_price_model(conn, registry.PriceModelConfig(**FAST))
    assert first.status == "champion" and 0.6 <= first.metrics["r2_log"] < 0.99
    result = dg.materialize(
        [training_defs.price_model, predictions_defs.price_predictions, *ML_CHECKS[2:]],
        resources={"snowflake": snowflake_resource},
        run_config={"ops": {"price_model": {"config": {**FAST, "hgb_learning_rate": 0.05, "min_r2": 0.99}}}},
        raise_on_error=False,
    )
    meta = result.asset_materializations_for_node("price_model")[0].metadata
    rejected = meta["model_version"].value
    assert rejected != first.model_version and meta["status"].value == "rejected"
    assert meta["decision"].value.endswith(f"is below the floor 0.99; champion {first.model_version} stays")
    assert registry_statuses(conn) == {first.model_version: "champion", rejected: "rejected"}
    checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    floor = checks["price_model_r2_floor"]
    assert not floor.passed and floor.metadata["model_version"].value == rejected
    assert floor.metadata["min_r2"].value == 0.99 and floor.metadata["status"].value == "rejected"
    assert floor.description.endswith("vs floor 0.99; rejected at training, never champion")
    assert checks["model_registry_one_champion"].passed
    assert not result.asset_materializations_for_node("price_predictions")  # the blocking floor check held it
    assert registry.load_champion(conn) is not None

    # Predictions (as automation would run them later): the rejected version's holdout, the champion's current.
    out = predictions.write_predictions(conn)
    assert (out["holdout_version"], out["champion_version"]) == (rejected, first.model_version)
    assert out["current_predictions"] == 600 and out["holdout_predictions"] == first.holdout_rows
    # The check against an explicit, lower floor still fails the rejected version.
    assert not training_defs.price_model_r2_floor(
        training_defs.R2FloorConfig(min_r2=0.1), snowflake=snowflake_resource
    ).passed


def test_when_every_version_is_rejected_predictions_cover_the_holdout_only(conn, tmp_path):
    insert_gold(conn, realistic_gold(300, seed=9))
    report = registry.train_price_model(conn, registry.PriceModelConfig(min_r2=1.0, **FAST))
    assert report.status == "rejected" and report.decision.endswith("is below the floor 1.0; there is no champion")
    out = predictions.write_predictions(conn)
    assert (out["holdout_version"], out["champion_version"]) == (report.model_version, None)
    assert (out["holdout_predictions"], out["current_predictions"]) == (report.holdout_rows, 0)
    status = warehouse.fetch_one(conn, "ml/check_registry_status", {"model_name": "price_model"})
    assert (int(status["champions"]), int(status["rejected"])) == (0, 1)


def test_too_little_gold_skips_training_predictions_and_their_checks(conn, snowflake_resource, tmp_path):
    insert_gold(conn, realistic_gold(10, seed=2))
    result = dg.materialize(
        [*ML_ASSETS, *ML_CHECKS],
        resources={"snowflake": snowflake_resource},
        run_config={"ops": {"price_model": {"config": {**FAST}}}},
        raise_on_error=False,
    )
    assert result.success
    assert not result.asset_materializations_for_node("price_model")
    assert registry_statuses(conn) == {}
    skips = {
        e.event_specific_data.asset_observation.asset_key.to_user_string(): (
            e.event_specific_data.asset_observation.metadata["reason"].value
        )
        for e in result.get_asset_observation_events()
    }
    assert skips == {
        key: f"not trained: {GOLD} holds 10 rows with a price: 8 to train on and 2 held out; at least 30 "
        "training rows and one held-out row are needed"
        for key in ("price_model", "model_registry", "feature_importance")
    }
    checks = {
        e.asset_check_key.name: (e.passed, e.metadata.get("skipped")) for e in result.get_asset_check_evaluations()
    }
    assert checks["anomaly_rate_within_bounds"][0] and checks["anomaly_rate_within_bounds"][1].value is True
    assert "price_model_r2_floor" not in checks and "price_predictions_cover_holdout" not in checks
    # Run on their own (from the UI) with nothing trained, the checks pass as skipped and say why.
    for check in (training_defs.price_model_r2_floor, training_defs.model_registry_one_champion):
        alone = check(snowflake=snowflake_resource)
        assert alone.passed and alone.metadata["skipped"].value and alone.description.startswith("skipped: no")
    alone = predictions_defs.price_predictions_cover_holdout(snowflake=snowflake_resource)
    assert alone.passed and alone.description == "skipped: no trained 'price_model' yet, so nothing to predict with"
    # price_predictions on its own (as automation starts it when gold changes) does not fail either.
    only = dg.materialize(
        [predictions_defs.price_predictions], resources={"snowflake": snowflake_resource}, raise_on_error=False
    )
    assert only.success and not only.asset_materializations_for_node("price_predictions")


ML_ASSETS = [anomalies_defs.anomaly_alerts, training_defs.price_model, predictions_defs.price_predictions]
ML_CHECKS = [
    anomalies_defs.anomaly_rate_within_bounds,
    anomalies_defs.anomaly_alerts_reference_gold,
    training_defs.price_model_r2_floor,
    training_defs.model_registry_one_champion,
    predictions_defs.price_predictions_cover_holdout,
]


# --- through Dagster -----------------------------------------------------------------------------------


def test_assets_and_checks_materialize_and_pass(conn, snowflake_resource, tmp_path):
    insert_gold(conn, realistic_gold(1200, seed=3, outliers=4))
    result = dg.materialize(
        [*ML_ASSETS, *ML_CHECKS],
        resources={"snowflake": snowflake_resource},
        run_config={"ops": {"price_model": {"config": {**FAST}}}},
        raise_on_error=False,
    )
    assert result.success
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {
        "anomaly_rate_within_bounds": True,
        "anomaly_alerts_reference_gold": True,
        "price_model_r2_floor": True,
        "model_registry_one_champion": True,
        "price_predictions_cover_holdout": True,
    }
    meta = result.asset_materializations_for_node("price_model")[0].metadata
    assert meta["status"].value == "champion" and meta["holdout_r2_log"].value >= 0.6
    alerts_meta = result.asset_materializations_for_node("anomaly_alerts")[0].metadata
    assert alerts_meta["dagster/row_count"].value == alerts_meta["open_alerts"].value > 0
    # the pictures: predicted vs actual and importance on price_model, the z-score distribution on the alerts
    for metadata, key in [
        (meta, "predicted_vs_actual"),
        (meta, "feature_importance"),
        (alerts_meta, "zscore_distribution"),
    ]:
        picture = charts.markdown_png(metadata[key].value)
        assert charts.png_size(picture) == (600, 350) and len(picture) < charts.MAX_PNG_BYTES, key
    # the histogram counts every scored listing once per measure, and its bins from z = 3 up hold the alerts
    z_bins = warehouse.fetch_all(
        conn, "ml/zscore_histogram", {"bin_width": 0.25, "max_bin": 40, "min_city_listings": 5}
    )
    gold_rows = alerts_meta["gold_rows"].value
    assert sum(b["listings"] for b in z_bins if b["anomaly_type"] == "PRICE_OUTLIER") == gold_rows == 1200
    for kind in anomalies.Z_SCORE_TYPES:
        above = sum(b["listings"] for b in z_bins if b["anomaly_type"] == kind and b["bin"] >= 12)
        assert above == alerts_meta["detected_this_run"].value[kind] > 0, kind


def test_definitions_load_with_the_retrain_job_and_schedule():
    from medallion_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("retrain_job")
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == {
        "price_model",
        "model_registry",
        "feature_importance",
        "price_predictions",
    }
    schedule = defs.resolve_schedule_def("weekly_retrain_schedule")
    assert schedule.cron_schedule == "0 3 * * 1" and schedule.job_name == "retrain_job"
    graph = defs.resolve_asset_graph()
    for key in ("anomaly_alerts", "price_predictions"):
        assert graph.get(dg.AssetKey(key)).automation_condition is not None
    for key in ("price_model", "model_registry", "feature_importance"):  # weekly or on demand only
        assert graph.get(dg.AssetKey(key)).automation_condition is None
    assert dg.AssetKey("gold_ml_features") in graph.get(dg.AssetKey("anomaly_alerts")).parent_keys


# --- scale (make bench) --------------------------------------------------------------------------------


@pytest.mark.bench
def test_bench_price_model_and_anomalies_at_100k(conn, tmp_path):
    gold = realistic_gold(100_000, seed=42, outliers=200)
    insert_gold(conn, gold)
    started = time.monotonic()
    found = anomalies.detect_anomalies(conn, anomalies.AnomalyConfig())
    anomaly_seconds = time.monotonic() - started
    started = time.monotonic()
    report = registry.train_price_model(
        conn,
        registry.PriceModelConfig(candidates=["random_forest", "random_forest_log", "hist_gradient_boosting"]),
    )
    seconds = time.monotonic() - started
    print(f"\nanomalies: {anomaly_seconds:.1f}s {found['detected']}")
    print(f"price model: {seconds:.1f}s for {report.training_rows} training / {report.holdout_rows} held-out rows")
    for name, m in report.candidates.items():
        print(
            f"  {name:24s} fit {m['fit_seconds']:6.1f}s  MAE {m['mae'] / 1e9:6.3f} bn  RMSE {m['rmse'] / 1e9:6.2f} bn  "
            f"R2 {m['r2']:.3f}  R2(log) {m['r2_log']:.3f}  MAPE {m['mape']:.3f}  median APE {m['median_ape']:.3f}"
        )
    assert report.candidate == "hist_gradient_boosting" and report.metrics["r2_log"] > 0.8
    flagged = {a["property_id"] for a in alerts(conn, "anomaly_type = 'ISOLATION_FOREST'")}
    assert set(gold.attrs["planted"]) <= flagged
