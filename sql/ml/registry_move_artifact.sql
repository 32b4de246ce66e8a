-- A version registered before artifacts moved to the stage, once its file was PUT there (lib/artifacts.py).
UPDATE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY
SET artifact_location = %(artifact_location)s,
    artifact_sha256 = %(artifact_sha256)s
WHERE model_name = %(model_name)s
  AND model_version = %(model_version)s
  AND artifact_sha256 IS NULL
