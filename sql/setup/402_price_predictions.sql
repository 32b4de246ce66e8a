-- Price predictions. prediction_set 'holdout': the held-out gold rows scored by the model version last
-- trained (one row per held-out listing and version); 'current': every gold listing scored by the champion
-- (replaced on each run). prediction_error = predicted - actual (VND); prediction_error_pct =
-- 100 * (predicted - actual) / actual, a signed percent: negative = the model under-predicts.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS (
    id VARCHAR COMMENT 'gold listing id',
    predicted_price FLOAT COMMENT 'VND',
    actual_price FLOAT COMMENT 'VND, the listing''s price',
    prediction_error FLOAT COMMENT 'predicted - actual (VND); negative = the model under-predicts',
    prediction_error_pct FLOAT COMMENT '100 * (predicted - actual) / actual: signed percent; negative = the model under-predicts',
    model_version VARCHAR COMMENT 'the registry''s model_version that predicted',
    model_type VARCHAR COMMENT 'e.g. RandomForestRegressor',
    features_used VARIANT COMMENT 'the feature names, as a JSON array',
    prediction_set VARCHAR COMMENT 'holdout (evaluation) or current (champion scoring)',
    run_id VARCHAR COMMENT 'the Dagster run that predicted',
    predicted_at TIMESTAMP_NTZ COMMENT 'when predicted (UTC)'
)
