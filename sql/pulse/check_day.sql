-- The pulse check of one event day: per city, the pulse's counts against the in-time history versions of that
-- day (lateness as stored on the day's pulse rows). Cities where any count differs, or that only one side has.
WITH p AS (
    SELECT city, new_listings, repriced, price_drops, changed, delisted, relisted, total_changes
    FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
    WHERE event_day = %(event_day)s::DATE
),
h AS (
    SELECT COALESCE(city, 'Unknown') AS city,
           COUNT_IF(change_type = 'listed') AS new_listings,
           COUNT_IF(change_type = 'repriced') AS repriced,
           COUNT_IF(change_type = 'repriced' AND price < previous_price) AS price_drops,
           COUNT_IF(change_type = 'changed') AS changed,
           COUNT_IF(change_type = 'delisted') AS delisted,
           COUNT_IF(change_type = 'relisted') AS relisted,
           COUNT(*) AS total_changes
    FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY
    WHERE valid_from >= %(event_day)s::DATE::TIMESTAMP_NTZ
      AND valid_from < DATEADD(day, 1, %(event_day)s::DATE)::TIMESTAMP_NTZ
      AND COALESCE(arrived_at, valid_from) <= DATEADD(day, %(window_days)s, %(event_day)s::DATE)::TIMESTAMP_NTZ
    GROUP BY COALESCE(city, 'Unknown')
)
SELECT COUNT(*) AS cities,
       COUNT_IF(
           p.city IS NULL OR h.city IS NULL
           OR p.new_listings <> h.new_listings OR p.repriced <> h.repriced OR p.price_drops <> h.price_drops
           OR p.changed <> h.changed OR p.delisted <> h.delisted OR p.relisted <> h.relisted
           OR p.total_changes <> h.total_changes
       ) AS cities_differing,
       COALESCE(SUM(p.total_changes), 0) AS pulse_changes,
       COALESCE(SUM(h.total_changes), 0) AS history_changes
FROM p
FULL OUTER JOIN h ON p.city = h.city
