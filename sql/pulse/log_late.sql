-- Late versions (arrived after their event day closed) loaded after %(loaded_after)s and not logged yet go to
-- the late-change log, once each.
INSERT INTO ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES (
    id, version, event_day, change_type, city, valid_from, arrived_at, lateness_days, history_loaded_at, logged_at
)
SELECT h.id AS id,
       h.version AS version,
       h.valid_from::DATE AS event_day,
       h.change_type AS change_type,
       COALESCE(h.city, 'Unknown') AS city,
       h.valid_from AS valid_from,
       h.arrived_at AS arrived_at,
       %(lateness_days)s AS lateness_days,
       h.loaded_at AS history_loaded_at,
       SYSDATE() AS logged_at
-- @include fragments/late_unlogged
