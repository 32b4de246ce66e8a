-- How many late versions loaded after %(loaded_after)s are not logged yet (pulse/log_late.sql's rows): a pulse
-- round with none sends no INSERT.
SELECT COUNT(*) AS unlogged
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
WHERE h.loaded_at > %(loaded_after)s::TIMESTAMP_NTZ
  AND h.arrived_at > DATEADD(day, %(window_days)s, h.valid_from::DATE)::TIMESTAMP_NTZ
  AND NOT EXISTS (
      SELECT 1
      FROM ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES l
      WHERE l.id = h.id AND l.version = h.version
  )
