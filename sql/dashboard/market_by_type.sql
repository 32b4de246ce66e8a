-- Listings, average and lowest/highest price by property type, within the Market page's filters (NULL: all).
SELECT m.property_type AS property_type,
       SUM(m.total_listings) AS listings,
       SUM(m.avg_price * m.total_listings) / NULLIF(SUM(m.total_listings), 0) AS avg_price,
       MIN(m.min_price) AS min_price,
       MAX(m.max_price) AS max_price
FROM ANALYTICS_DB.SEMANTIC.V_MARKET_SUMMARY m
WHERE (%(city)s IS NULL OR m.city = %(city)s)
  AND (%(district)s IS NULL OR m.district = %(district)s)
  AND (%(property_type)s IS NULL OR m.property_type = %(property_type)s)
GROUP BY m.property_type
ORDER BY listings DESC, property_type
