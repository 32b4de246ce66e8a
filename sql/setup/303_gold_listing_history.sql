-- Listing history (type 2): one row per version of a listing, built incrementally from bronze.
-- valid_from is the event time of the change (the document's updated_at, else the Kafka message time, which
-- ingestion sets to the change stream's cluster time); valid_to is the next version's valid_from (NULL for the
-- last one). A delisted version (a tombstone) is never current; it carries the last known attributes
-- (city, district, property_type, price, area) so that it can be counted per city.
-- arrived_at is when the change reached the warehouse (bronze ingested_at): the market pulse compares it with
-- the event day to tell late changes. kafka_* point at the bronze message of the version.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY (
    id VARCHAR,
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
    kafka_offset BIGINT,
    loaded_at TIMESTAMP_NTZ
)
