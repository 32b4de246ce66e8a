-- Listings that left the population (score fell, price gone, listing deleted) leave gold.
-- NOT EXISTS, not NOT IN: one NULL id in silver would make NOT IN match nothing, and nothing would be deleted.
DELETE FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g
WHERE NOT EXISTS (
    SELECT 1
    FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
    WHERE s.id = g.id
      AND s.data_quality_score >= %(min_quality_score)s
      AND s.price > 0
)
