-- Median price and median price per m² of the trusted listings by city and district, within the Market page's
-- filters (NULL: all). Missing city, district or type count as 'Unknown', as in GOLD_MARKET_ANALYTICS.
SELECT COALESCE(l.city, 'Unknown') AS city,
       COALESCE(l.district, 'Unknown') AS district,
       COUNT(*) AS listings,
       MEDIAN(l.price) AS median_price,
       MEDIAN(l.price_per_sqm) AS median_price_per_sqm
FROM ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS l
WHERE (%(city)s IS NULL OR COALESCE(l.city, 'Unknown') = %(city)s)
  AND (%(district)s IS NULL OR COALESCE(l.district, 'Unknown') = %(district)s)
  AND (%(property_type)s IS NULL OR COALESCE(l.property_type, 'Unknown') = %(property_type)s)
GROUP BY COALESCE(l.city, 'Unknown'), COALESCE(l.district, 'Unknown')
ORDER BY listings DESC, city, district
