-- Held-out predictions of a version with the largest relative error, for the asset's metadata.
SELECT p.id AS id,
       ROUND(p.actual_price, 0) AS actual_price,
       ROUND(p.predicted_price, 0) AS predicted_price,
       ROUND(p.prediction_error_pct, 1) AS error_pct
FROM ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS p
WHERE p.prediction_set = 'holdout'
  AND p.model_version = %(model_version)s
ORDER BY ABS(p.prediction_error_pct) DESC, p.id
LIMIT 10
