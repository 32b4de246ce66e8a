-- Price predictions. prediction_set 'holdout': the held-out gold rows scored by the model version last
-- trained (one row per held-out listing and version); 'current': every gold listing scored by the champion
-- (replaced on each run). prediction_error = predicted - actual (VND); prediction_error_pct =
-- 100 * (predicted - actual) / actual, a signed percent: negative = the model under-predicts.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS (
    id VARCHAR,
    predicted_price FLOAT,
    actual_price FLOAT,
    prediction_error FLOAT,
    prediction_error_pct FLOAT,
    model_version VARCHAR,
    model_type VARCHAR,
    features_used VARIANT,
    prediction_set VARCHAR,
    run_id VARCHAR,
    predicted_at TIMESTAMP_NTZ
)
