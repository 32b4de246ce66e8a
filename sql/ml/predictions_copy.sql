-- Predictions staged as Parquet. {stage_file} is a name this code generated.
COPY INTO ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS
    (id, predicted_price, actual_price, prediction_error, prediction_error_pct, model_version, model_type,
     features_used, prediction_set, run_id, predicted_at)
FROM (
    SELECT $1:id::VARCHAR,
           $1:predicted_price::FLOAT,
           $1:actual_price::FLOAT,
           $1:prediction_error::FLOAT,
           $1:prediction_error_pct::FLOAT,
           $1:model_version::VARCHAR,
           $1:model_type::VARCHAR,
           PARSE_JSON($1:features_used::VARCHAR),
           $1:prediction_set::VARCHAR,
           %(run_id)s,
           %(run_at)s::TIMESTAMP_NTZ
    FROM @ANALYTICS_DB.ML_RESULTS.ML_STAGE/{stage_file}
)
FILE_FORMAT = (TYPE = PARQUET)
PURGE = TRUE
