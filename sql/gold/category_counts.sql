SELECT 'price_category' AS dimension, f.price_category AS category, COUNT(*) AS listings
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
GROUP BY f.price_category
UNION ALL
SELECT 'area_category' AS dimension, f.area_category AS category, COUNT(*) AS listings
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
GROUP BY f.area_category
ORDER BY dimension, category
