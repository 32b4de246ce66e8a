-- Event days whose pulse is missing or older than their history: the newest loaded_at of the day's in-time
-- versions is newer than the one the day was built from. Late versions never make a day stale.
SELECT d.event_day AS event_day,
       d.versions AS versions,
       d.history_loaded_at AS history_loaded_at,
       p.history_loaded_at AS pulse_loaded_at
FROM (
    SELECT h.valid_from::DATE AS event_day,
           COUNT(*) AS versions,
           MAX(h.loaded_at) AS history_loaded_at
    FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
    WHERE h.valid_from IS NOT NULL
      AND COALESCE(h.arrived_at, h.valid_from) <= DATEADD(day, %(window_days)s, h.valid_from::DATE)::TIMESTAMP_NTZ
    GROUP BY h.valid_from::DATE
) d
LEFT JOIN (
    SELECT event_day AS event_day, MAX(history_loaded_at) AS history_loaded_at
    FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
    GROUP BY event_day
) p ON p.event_day = d.event_day
WHERE p.event_day IS NULL OR d.history_loaded_at > p.history_loaded_at
ORDER BY d.event_day
