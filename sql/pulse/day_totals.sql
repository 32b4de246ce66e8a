-- The counts of one event day's pulse over all its cities.
SELECT COUNT(*) AS cities,
       COALESCE(SUM(new_listings), 0) AS new_listings,
       COALESCE(SUM(repriced), 0) AS repriced,
       COALESCE(SUM(price_drops), 0) AS price_drops,
       COALESCE(SUM(changed), 0) AS changed,
       COALESCE(SUM(delisted), 0) AS delisted,
       COALESCE(SUM(relisted), 0) AS relisted,
       COALESCE(SUM(total_changes), 0) AS total_changes
FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
WHERE event_day = %(event_day)s::DATE
