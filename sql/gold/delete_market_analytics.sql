-- Groups with no gold listing left.
DELETE FROM ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS m
WHERE NOT EXISTS (
    SELECT 1
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
    WHERE COALESCE(f.city, 'Unknown') = m.city
      AND COALESCE(f.district, 'Unknown') = m.district
      AND COALESCE(f.property_type, 'Unknown') = m.property_type
)
