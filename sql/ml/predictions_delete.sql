-- Before a predictions run writes: the held-out rows of the version it evaluates, and the current set.
DELETE FROM ANALYTICS_DB.ML_RESULTS.PRICE_PREDICTIONS
WHERE (prediction_set = 'holdout' AND model_version = %(model_version)s)
   OR prediction_set = 'current'
