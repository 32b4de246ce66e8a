-- Ids of the held-out predictions of one model version (the check compares them with the holdout of gold).
SELECT p.id AS id
FROM ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS p
WHERE p.prediction_set = 'holdout'
  AND p.model_version = %(model_version)s
