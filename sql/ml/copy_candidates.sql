-- Isolation Forest detections of one run, staged as Parquet. {stage_file} is a name this code generated.
COPY INTO ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES
    (run_id, property_id, anomaly_type, anomaly_score, expected_value, actual_value, description, severity,
     city, created_at)
FROM (
    SELECT %(run_id)s,
           $1:property_id::VARCHAR,
           $1:anomaly_type::VARCHAR,
           $1:anomaly_score::FLOAT,
           $1:expected_value::FLOAT,
           $1:actual_value::FLOAT,
           $1:description::VARCHAR,
           $1:severity::VARCHAR,
           $1:city::VARCHAR,
           %(run_at)s::TIMESTAMP_NTZ
    FROM @ANALYTICS_DB.ML_RESULTS.ML_STAGE/{stage_file}
)
FILE_FORMAT = (TYPE = PARQUET)
PURGE = TRUE
