-- Months with no dated gold listing left in that city.
DELETE FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS p
WHERE NOT EXISTS (
    SELECT 1
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
    WHERE f.posted_date IS NOT NULL
      AND COALESCE(f.city, 'Unknown') = p.city
      AND TO_VARCHAR(f.posted_date::DATE, 'YYYY-MM') = p.year_month
)
