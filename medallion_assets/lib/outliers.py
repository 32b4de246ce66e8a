"""The multivariate anomaly detector: an Isolation Forest on price, price per m² and area, each relative to
the listing's peers (same city, district and type where there are enough of them), deterministic for a fixed
random_state. No warehouse and no Dagster in it; lib/anomalies.py stores what it finds."""

import numpy as np
import pandas as pd

from medallion_assets.lib.ml_model import gold_frame

ISOLATION_FOREST = "ISOLATION_FOREST"

PEER_LEVELS = (("city", "district", "property_type"), ("city", "property_type"), ("property_type",))


def _peer_median(df: pd.DataFrame, column: str, min_peers: int) -> tuple[pd.Series, pd.Series]:
    """Median of `column` among the listing's peers: same city, district and type when there are at least
    `min_peers` of them, else same city and type, else same type, else everyone. Returns (median, level)."""
    median = pd.Series(np.nan, index=df.index)
    level = pd.Series(None, index=df.index, dtype=object)
    keys = df[["city", "district", "property_type"]].fillna("(unknown)")
    for columns in PEER_LEVELS:
        grouped = df[column].groupby([keys[c] for c in columns])
        count, value = grouped.transform("count"), grouped.transform("median")
        use = median.isna() & (count >= min_peers) & value.notna()
        median[use], level[use] = value[use], " / ".join(columns)
    rest = median.isna()
    median[rest], level[rest] = df[column].median(), "all listings"
    return median, level


def isolation_forest_outliers(
    frame: pd.DataFrame,
    contamination: float,
    random_state: int,
    n_estimators: int = 200,
    high_score: float = 0.7,
    min_peers: int = 5,
) -> pd.DataFrame:
    """Listings an Isolation Forest isolates quickly in (price, price per m², area), each as the log ratio
    to the median of the listing's peers (city/district/type). Plain log price and area would flag large
    plots of land; relative to peers, a price typed 50x too high or too low stands out.

    anomaly_score is the forest's score in (0, 1] (the paper's s; above ~0.6 is unusual); severity HIGH
    when it is at least `high_score`. expected_value is the peer median price per m² times the area
    (the peer median price when the area is unknown); actual_value is the price."""
    df = gold_frame(frame).reset_index(drop=True)
    columns = [
        "property_id",
        "anomaly_type",
        "anomaly_score",
        "expected_value",
        "actual_value",
        "description",
        "severity",
        "city",
    ]
    if df.empty:
        return pd.DataFrame(columns=columns)
    log_price = np.log(df["price"])
    log_area = np.log(df["area"].where(df["area"] > 0))
    work = pd.DataFrame(
        {
            "log_price": log_price,
            "log_ppsqm": log_price - log_area,
            "log_area": log_area,
            "city": df["city"],
            "district": df["district"],
            "property_type": df["property_type"],
        }
    )
    features = pd.DataFrame(index=df.index)
    medians, levels = {}, {}
    for column in ("log_price", "log_ppsqm", "log_area"):
        medians[column], levels[column] = _peer_median(work, column, min_peers)
        features[f"rel_{column}"] = (work[column] - medians[column]).fillna(0.0)
    peer_level = levels["log_ppsqm"].where(df["area"] > 0, levels["log_price"])
    from sklearn.ensemble import IsolationForest  # here: runs that fit no forest do not import scikit-learn

    forest = IsolationForest(
        n_estimators=n_estimators, contamination=contamination, random_state=random_state, n_jobs=1
    ).fit(features.to_numpy())
    flagged = forest.predict(features.to_numpy()) == -1
    scores = -forest.score_samples(features.to_numpy())
    expected = np.where(df["area"] > 0, np.exp(medians["log_ppsqm"]) * df["area"], np.exp(medians["log_price"]))
    ratio = np.exp(features["rel_log_ppsqm"])
    out = pd.DataFrame(
        {
            "property_id": df["id"],
            "anomaly_type": ISOLATION_FOREST,
            "anomaly_score": scores,
            "expected_value": expected,
            "actual_value": df["price"],
            "severity": np.where(scores >= high_score, "HIGH", "MEDIUM"),
            "city": df["city"],
        }
    )[flagged]
    area_ratio = np.exp(features["rel_log_area"])
    out["description"] = [
        f"Isolation forest score {s:.3f}: price {p:,.0f} VND where about {e:,.0f} is expected; "
        + (
            f"price per m2 {r:.2f}x and area {q:.2f}x the median of its peers ({lvl})"
            if a > 0
            else f"area unknown, price compared with the median of its peers ({lvl})"
        )
        for s, p, e, r, q, a, lvl in zip(
            out["anomaly_score"],
            out["actual_value"],
            out["expected_value"],
            ratio[flagged],
            area_ratio[flagged],
            df["area"][flagged].fillna(0.0),
            peer_level[flagged],
        )
    ]
    return out[columns].reset_index(drop=True)
