-- Model registry: one row per model version (a content hash of the gold snapshot, the parameters and the
-- code version). status: 'champion' (exactly one per model_name), 'challenger' (trained, did not beat the
-- champion on the same holdout) or 'archived' (a former champion). artifact_location: the joblib file.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY (
    model_id VARCHAR COMMENT '<model_name>-<model_version>',
    model_name VARCHAR COMMENT 'one champion per name',
    model_version VARCHAR COMMENT 'hash of data snapshot, parameters, code version',
    model_type VARCHAR COMMENT 'e.g. RandomForestRegressor',
    training_date TIMESTAMP_NTZ COMMENT 'when trained (UTC)',
    metrics VARIANT COMMENT 'holdout r2, r2_log, mae, rmse, mape, candidates, ...',
    parameters VARIANT COMMENT 'the estimator''s parameters (JSON)',
    status VARCHAR COMMENT 'champion, challenger, rejected (below the R² floor) or archived',
    artifact_location VARCHAR COMMENT 'the fitted pipeline (joblib): @ANALYTICS_DB.ML_RESULTS.ML_STAGE/models/<name>/<version>.joblib',
    code_version VARCHAR COMMENT 'the training code''s version',
    data_snapshot VARCHAR COMMENT 'content hash of the gold rows trained on',
    training_rows INTEGER COMMENT 'rows trained on',
    holdout_rows INTEGER COMMENT 'rows held out for the metrics',
    last_trained_at TIMESTAMP_NTZ COMMENT 'the latest run that trained this version',
    status_changed_at TIMESTAMP_NTZ COMMENT 'when status last changed',
    created_at TIMESTAMP_NTZ COMMENT 'when the row was added',
    artifact_sha256 VARCHAR COMMENT 'SHA-256 of the artifact, checked on every load (NULL: registered before, local file)'
)
