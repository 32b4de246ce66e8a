-- Listings that left the population (score fell, price gone, listing deleted) leave gold.
DELETE FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES
WHERE id NOT IN (
    SELECT s.id AS id
    FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
    WHERE s.data_quality_score >= %(min_quality_score)s
      AND s.price > 0
)
