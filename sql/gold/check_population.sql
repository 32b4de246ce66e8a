-- Every gold row comes from a silver row that qualifies (score >= min_quality_score, price > 0) with the same
-- price, and every qualifying silver row is in gold.
SELECT (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES) AS gold_rows,
       (SELECT COUNT(*) FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
         WHERE s.data_quality_score >= %(min_quality_score)s AND s.price > 0) AS population,
       (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
         LEFT JOIN STAGING_DB.CLEANED.SILVER_REAL_ESTATE s ON s.id = f.id
         WHERE s.id IS NULL) AS not_in_silver,
       (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
         JOIN STAGING_DB.CLEANED.SILVER_REAL_ESTATE s ON s.id = f.id
         WHERE NOT (s.data_quality_score >= %(min_quality_score)s AND s.price > 0)) AS not_qualifying,
       (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
         JOIN STAGING_DB.CLEANED.SILVER_REAL_ESTATE s ON s.id = f.id
         WHERE f.price IS DISTINCT FROM s.price) AS price_differs
