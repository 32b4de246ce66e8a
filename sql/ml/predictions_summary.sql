-- Predictions per set and model version, with their error.
SELECT p.prediction_set AS prediction_set,
       p.model_version AS model_version,
       COUNT(*) AS predictions,
       COUNT(DISTINCT p.id) AS listings,
       AVG(ABS(p.prediction_error)) AS mae,
       MEDIAN(ABS(p.prediction_error_pct)) AS median_abs_error_pct
FROM ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS p
GROUP BY p.prediction_set, p.model_version
ORDER BY p.prediction_set, p.model_version
