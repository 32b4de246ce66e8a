-- Permutation importance of each input feature of a model version on its holdout: importance_score is the
-- mean increase of the holdout MAE (VND) when the feature is shuffled; rank 1 is the most important.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.ML_RESULTS.FEATURE_IMPORTANCE (
    model_version VARCHAR COMMENT 'the registry''s model_version',
    feature_name VARCHAR COMMENT 'a model input',
    importance_score FLOAT COMMENT 'holdout MAE increase (VND) when shuffled',
    importance_std FLOAT COMMENT 'standard deviation over the permutation repeats',
    rank INTEGER COMMENT '1 = most important',
    method VARCHAR COMMENT 'how importance was measured',
    created_at TIMESTAMP_NTZ COMMENT 'when the row was added'
)
