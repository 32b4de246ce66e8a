-- The population and its price quartiles, as merge_ml_features computes them.
SELECT COUNT(*) AS population,
       PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY s.price) AS p25,
       PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY s.price) AS p50,
       PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY s.price) AS p75
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
WHERE s.data_quality_score >= %(min_quality_score)s
  AND s.price > 0
