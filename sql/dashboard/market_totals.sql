-- The Market page's headline figures within its filters (NULL: all): listings, median price, median price per m².
SELECT COUNT(*) AS listings,
       MEDIAN(l.price) AS median_price,
       MEDIAN(l.price_per_sqm) AS median_price_per_sqm
FROM ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS l
WHERE (%(city)s IS NULL OR COALESCE(l.city, 'Unknown') = %(city)s)
  AND (%(district)s IS NULL OR COALESCE(l.district, 'Unknown') = %(district)s)
  AND (%(property_type)s IS NULL OR COALESCE(l.property_type, 'Unknown') = %(property_type)s)
