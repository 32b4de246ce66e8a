-- The model version the last training run produced (or found already registered), whatever its status
-- (a rejected version too), with the R² floor it was trained against.
SELECT r.model_id AS model_id,
       r.model_name AS model_name,
       r.model_version AS model_version,
       r.model_type AS model_type,
       r.status AS status,
       r.artifact_location AS artifact_location,
       r.artifact_sha256 AS artifact_sha256,
       r.metrics:mae::FLOAT AS mae,
       r.metrics:r2::FLOAT AS r2,
       r.metrics:r2_log::FLOAT AS r2_log,
       r.holdout_rows AS holdout_rows,
       r.parameters:holdout_share::FLOAT AS holdout_share,
       r.parameters:candidate::VARCHAR AS candidate,
       r.parameters:r2_floor.metric::VARCHAR AS floor_metric,
       r.parameters:r2_floor.min_r2::FLOAT AS floor_min_r2
FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
WHERE r.model_name = %(model_name)s
ORDER BY r.last_trained_at DESC, r.created_at DESC, r.model_version
LIMIT 1
