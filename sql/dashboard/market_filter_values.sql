-- The cities, districts and property types the Market page offers as filters ('Unknown' where missing, as in gold).
SELECT DISTINCT m.city AS city,
       m.district AS district,
       m.property_type AS property_type
FROM ANALYTICS_DB.SEMANTIC.V_MARKET_SUMMARY m
ORDER BY city, district, property_type
