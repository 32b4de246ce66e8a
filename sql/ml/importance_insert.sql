INSERT INTO ANALYTICS_DB.ML_RESULTS.FEATURE_IMPORTANCE
    (model_version, feature_name, importance_score, importance_std, rank, method, created_at)
VALUES (%(model_version)s, %(feature_name)s, %(importance_score)s, %(importance_std)s, %(rank)s, %(method)s,
        %(run_at)s::TIMESTAMP_NTZ)
