-- Predicted against actual price on the holdout of one model version (at most `limit` listings, by id).
SELECT p.id AS id,
       p.actual_price AS actual_price,
       p.predicted_price AS predicted_price,
       p.prediction_error_pct AS prediction_error_pct
FROM ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS p
WHERE p.prediction_set = 'holdout'
  AND p.model_version = %(model_version)s
ORDER BY id
LIMIT %(limit)s
