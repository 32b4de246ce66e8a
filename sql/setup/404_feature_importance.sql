-- Permutation importance of each input feature of a model version on its holdout: importance_score is the
-- mean increase of the holdout MAE (VND) when the feature is shuffled; rank 1 is the most important.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.FEATURE_IMPORTANCE (
    model_version VARCHAR,
    feature_name VARCHAR,
    importance_score FLOAT,
    importance_std FLOAT,
    rank INTEGER,
    method VARCHAR,
    created_at TIMESTAMP_NTZ
)
