-- One definition of which listing-history versions are late and not logged yet: loaded after %(loaded_after)s,
-- arrived after their event day's window (%(window_days)s) closed, and not in GOLD_PULSE_LATE_CHANGES. Shared by
-- sql/pulse/unlogged_late.sql (how many) and sql/pulse/log_late.sql (logs them). Not a statement of its own:
-- warehouse.load_sql puts it where a file says `-- @include fragments/late_unlogged`, as the FROM and WHERE of a
-- SELECT over the history aliased h.
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
WHERE h.loaded_at > %(loaded_after)s::TIMESTAMP_NTZ
  AND h.arrived_at > DATEADD(day, %(window_days)s, h.valid_from::DATE)::TIMESTAMP_NTZ
  AND NOT EXISTS (
      SELECT 1
      FROM ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES l
      WHERE l.id = h.id AND l.version = h.version
  )
