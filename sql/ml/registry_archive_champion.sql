-- The champion steps down when another version replaces it.
UPDATE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY
SET status = 'archived',
    status_changed_at = %(run_at)s::TIMESTAMP_NTZ
WHERE model_name = %(model_name)s
  AND status = 'champion'
  AND model_version <> %(model_version)s
