-- The daily market pulse per (event day, city) since a day: one row per materialized partition and city.
SELECT p.event_day AS event_day,
       p.city AS city,
       p.new_listings AS new_listings,
       p.repriced AS repriced,
       p.price_drops AS price_drops,
       p.delisted AS delisted,
       p.relisted AS relisted,
       p.total_changes AS total_changes,
       p.median_price AS median_price,
       p.lateness_days AS lateness_days
FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE p
WHERE p.event_day >= %(since)s
ORDER BY event_day, city
