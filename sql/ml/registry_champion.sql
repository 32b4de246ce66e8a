-- The champion of a model name (the newest one, should a failed run ever have left two).
SELECT r.model_id AS model_id,
       r.model_name AS model_name,
       r.model_version AS model_version,
       r.model_type AS model_type,
       r.status AS status,
       r.artifact_location AS artifact_location,
       r.artifact_sha256 AS artifact_sha256,
       r.metrics:mae::FLOAT AS mae,
       r.parameters:holdout_share::FLOAT AS holdout_share,
       r.parameters:candidate::VARCHAR AS candidate
FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
WHERE r.model_name = %(model_name)s
  AND r.status = 'champion'
ORDER BY r.status_changed_at DESC, r.model_version
LIMIT 1
