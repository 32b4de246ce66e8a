-- Every version of a model with its holdout metrics, newest training first: the champion and those before it.
SELECT r.model_version AS model_version,
       r.model_type AS model_type,
       r.status AS status,
       r.metrics:r2::FLOAT AS r2,
       r.metrics:r2_log::FLOAT AS r2_log,
       r.metrics:mae::FLOAT AS mae,
       r.metrics:rmse::FLOAT AS rmse,
       r.metrics:mape::FLOAT AS mape,
       r.metrics:median_ape::FLOAT AS median_ape,
       r.training_rows AS training_rows,
       r.holdout_rows AS holdout_rows,
       r.training_date AS training_date,
       r.last_trained_at AS last_trained_at,
       r.status_changed_at AS status_changed_at
FROM ANALYTICS_DB.ML_RESULTS.MODEL_REGISTRY r
WHERE r.model_name = %(model_name)s
ORDER BY last_trained_at DESC, model_version
