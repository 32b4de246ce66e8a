-- The pulse of one event day, busiest cities first (materialization metadata).
SELECT city AS city, new_listings AS new_listings, repriced AS repriced, price_drops AS price_drops,
       delisted AS delisted, relisted AS relisted, median_price AS median_price,
       median_price_per_sqm AS median_price_per_sqm
FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
WHERE event_day = %(event_day)s::DATE
ORDER BY total_changes DESC, city
LIMIT %(limit)s
