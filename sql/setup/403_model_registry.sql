-- Model registry: one row per model version (a content hash of the gold snapshot, the parameters and the
-- code version). status: 'champion' (exactly one per model_name), 'challenger' (trained, did not beat the
-- champion on the same holdout) or 'archived' (a former champion). artifact_location: the joblib file.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY (
    model_id VARCHAR,
    model_name VARCHAR,
    model_version VARCHAR,
    model_type VARCHAR,
    training_date TIMESTAMP_NTZ,
    metrics VARIANT,
    parameters VARIANT,
    status VARCHAR,
    artifact_location VARCHAR,
    code_version VARCHAR,
    data_snapshot VARCHAR,
    training_rows INTEGER,
    holdout_rows INTEGER,
    last_trained_at TIMESTAMP_NTZ,
    status_changed_at TIMESTAMP_NTZ,
    created_at TIMESTAMP_NTZ,
    artifact_sha256 VARCHAR
)
