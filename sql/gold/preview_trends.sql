SELECT p.city AS city,
       p.year_month AS year_month,
       p.listing_count AS listing_count,
       p.avg_price AS avg_price
FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS p
ORDER BY p.year_month DESC, p.listing_count DESC, p.city
LIMIT 5
