-- Register a model version once: a version already in the registry is left as it is.
INSERT INTO ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY
    (model_id, model_name, model_version, model_type, training_date, metrics, parameters, status,
     artifact_location, artifact_sha256, code_version, data_snapshot, training_rows, holdout_rows, last_trained_at,
     status_changed_at, created_at)
SELECT %(model_id)s AS model_id,
       %(model_name)s AS model_name,
       %(model_version)s AS model_version,
       %(model_type)s AS model_type,
       %(run_at)s::TIMESTAMP_NTZ AS training_date,
       PARSE_JSON(%(metrics)s) AS metrics,
       PARSE_JSON(%(parameters)s) AS parameters,
       %(status)s AS status,
       %(artifact_location)s AS artifact_location,
       %(artifact_sha256)s AS artifact_sha256,
       %(code_version)s AS code_version,
       %(data_snapshot)s AS data_snapshot,
       %(training_rows)s AS training_rows,
       %(holdout_rows)s AS holdout_rows,
       %(run_at)s::TIMESTAMP_NTZ AS last_trained_at,
       %(run_at)s::TIMESTAMP_NTZ AS status_changed_at,
       %(run_at)s::TIMESTAMP_NTZ AS created_at
FROM (SELECT 1 AS one) single_row
WHERE NOT EXISTS (
    SELECT 1
    FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
    WHERE r.model_name = %(model_name)s
      AND r.model_version = %(model_version)s
)
