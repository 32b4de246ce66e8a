-- A training run that produced a version already registered marks it as the latest trained.
UPDATE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY
SET last_trained_at = %(run_at)s::TIMESTAMP_NTZ,
    artifact_location = %(artifact_location)s,
    artifact_sha256 = %(artifact_sha256)s
WHERE model_name = %(model_name)s
  AND model_version = %(model_version)s
