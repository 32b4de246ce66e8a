-- The permutation importance of each feature of one model version, most important first.
SELECT f.feature_name AS feature_name,
       f.importance_score AS importance_score,
       f.importance_std AS importance_std,
       f.rank AS rank
FROM ANALYTICS_DB.ML_RESULTS.FEATURE_IMPORTANCE f
WHERE f.model_version = %(model_version)s
ORDER BY rank, feature_name
