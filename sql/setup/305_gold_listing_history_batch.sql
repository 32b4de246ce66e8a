-- Work table of one listing-history run: the new versions (is_new) and, per listing that gets one, its last
-- version before the run with the valid_to / is_current it gets now. Emptied at the start and at the end of
-- every run; the history asset never runs twice at once (its pool).
CREATE TRANSIENT TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH (
    id VARCHAR,
    is_new BOOLEAN,
    version INTEGER,
    valid_from TIMESTAMP_NTZ,
    valid_to TIMESTAMP_NTZ,
    is_current BOOLEAN,
    change_type VARCHAR,
    price FLOAT,
    previous_price FLOAT,
    price_change_pct FLOAT,
    area FLOAT,
    price_per_sqm FLOAT,
    city VARCHAR,
    district VARCHAR,
    property_type VARCHAR,
    event_time_source VARCHAR,
    arrived_at TIMESTAMP_NTZ,
    version_hash VARCHAR,
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    kafka_offset BIGINT
)
