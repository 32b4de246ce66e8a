-- The event days (valid_from::DATE, UTC) of this run's new versions, oldest first: the pulse days the run may
-- have made stale (recorded in the history's materialization; market_pulse_sensor wakes on them).
SELECT DISTINCT TO_VARCHAR(b.valid_from::DATE, 'YYYY-MM-DD') AS event_day
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH b
WHERE b.is_new
ORDER BY event_day
