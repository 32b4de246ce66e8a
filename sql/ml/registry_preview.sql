-- The newest versions of a model name, for the asset's metadata.
SELECT r.model_version AS model_version,
       r.model_type AS model_type,
       r.status AS status,
       ROUND(r.metrics:mae::FLOAT, 0) AS mae,
       ROUND(r.metrics:r2_log::FLOAT, 4) AS r2_log,
       ROUND(r.metrics:mape::FLOAT, 4) AS mape,
       r.training_rows AS training_rows,
       r.training_date AS training_date
FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
WHERE r.model_name = %(model_name)s
ORDER BY r.last_trained_at DESC, r.model_version
LIMIT 10
