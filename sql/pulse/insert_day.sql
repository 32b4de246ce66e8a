-- The pulse of one event day per city from the history versions of that day that arrived in time
-- (arrived_at <= event_day + 1 day + lateness; an unknown arrival counts as in time). Delisted versions carry
-- the last known city. Medians are over the versions listed that day.
INSERT INTO ANALYTICS_DB.DWH.GOLD_MARKET_PULSE (
    event_day, city, new_listings, repriced, price_drops, changed, delisted, relisted, total_changes,
    median_price, median_price_per_sqm, lateness_days, history_loaded_at, updated_at
)
SELECT %(event_day)s::DATE AS event_day,
       COALESCE(h.city, 'Unknown') AS city,
       COUNT_IF(h.change_type = 'listed') AS new_listings,
       COUNT_IF(h.change_type = 'repriced') AS repriced,
       COUNT_IF(h.change_type = 'repriced' AND h.price < h.previous_price) AS price_drops,
       COUNT_IF(h.change_type = 'changed') AS changed,
       COUNT_IF(h.change_type = 'delisted') AS delisted,
       COUNT_IF(h.change_type = 'relisted') AS relisted,
       COUNT(*) AS total_changes,
       PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY IFF(h.change_type = 'listed', h.price, NULL)) AS median_price,
       PERCENTILE_CONT(0.5) WITHIN GROUP (
           ORDER BY IFF(h.change_type = 'listed', h.price_per_sqm, NULL)
       ) AS median_price_per_sqm,
       %(lateness_days)s AS lateness_days,
       MAX(h.loaded_at) AS history_loaded_at,
       SYSDATE() AS updated_at
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
WHERE h.valid_from >= %(event_day)s::DATE::TIMESTAMP_NTZ
  AND h.valid_from < DATEADD(day, 1, %(event_day)s::DATE)::TIMESTAMP_NTZ
  AND COALESCE(h.arrived_at, h.valid_from) <= DATEADD(day, %(window_days)s, %(event_day)s::DATE)::TIMESTAMP_NTZ
GROUP BY COALESCE(h.city, 'Unknown')
