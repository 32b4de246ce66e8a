-- Median price per m² by city over the gold features (listings with a price per m²), largest cities first,
-- for the chart on gold_market_analytics.
SELECT COALESCE(f.city, 'Unknown') AS city,
       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY f.price_per_sqm) AS median_price_per_sqm,
       COUNT(*) AS listings
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
WHERE f.price_per_sqm IS NOT NULL
GROUP BY COALESCE(f.city, 'Unknown')
ORDER BY listings DESC, city
LIMIT %(limit)s
