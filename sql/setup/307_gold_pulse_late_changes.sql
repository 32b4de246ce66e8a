-- The market pulse's data-quality log of late changes: one row per history version that arrived after its
-- event day had closed (arrived_at > event_day + 1 day + lateness_days). Such a change is never applied to the
-- pulse; it is logged here once (the sensor and `medallion pipeline` insert only versions not logged yet).
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES (
    id VARCHAR,
    version INTEGER,
    event_day DATE,
    change_type VARCHAR,
    city VARCHAR,
    valid_from TIMESTAMP_NTZ,
    arrived_at TIMESTAMP_NTZ,
    lateness_days INTEGER,
    history_loaded_at TIMESTAMP_NTZ,
    logged_at TIMESTAMP_NTZ
)
