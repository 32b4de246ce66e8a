-- Added after 403: the SHA-256 of each model version's artifact (a file on ML_STAGE), verified on every load
-- (lib/artifacts.py). Rows registered before it have none and a local artifact_location until loaded once.
-- Safe on a table that has it.
ALTER TABLE ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY ADD COLUMN IF NOT EXISTS artifact_sha256 VARCHAR
