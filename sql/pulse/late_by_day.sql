-- Late versions logged, per event day (what `medallion pipeline` and the sensor report).
SELECT event_day AS event_day, COUNT(*) AS late_changes
FROM ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES
WHERE history_loaded_at > %(loaded_after)s::TIMESTAMP_NTZ
GROUP BY event_day
ORDER BY event_day
