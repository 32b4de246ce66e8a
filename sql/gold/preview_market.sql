SELECT m.city AS city,
       m.district AS district,
       m.property_type AS property_type,
       m.total_listings AS total_listings,
       m.median_price AS median_price,
       m.avg_price_per_sqm AS avg_price_per_sqm
FROM ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS m
ORDER BY m.total_listings DESC, m.city, m.district, m.property_type
LIMIT 5
