-- Time on market per city from V_DAYS_ON_MARKET: listings, how many are still active, days on market.
SELECT COALESCE(d.city, 'Unknown') AS city,
       COUNT(*) AS listings,
       COUNT_IF(d.is_active) AS active,
       MEDIAN(d.days_on_market) AS median_days,
       AVG(d.days_on_market) AS avg_days,
       MAX(d.days_on_market) AS max_days,
       AVG(d.price_changes) AS avg_price_changes
FROM ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET d
GROUP BY COALESCE(d.city, 'Unknown')
ORDER BY listings DESC, city
