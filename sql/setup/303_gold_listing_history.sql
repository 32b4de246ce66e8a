-- Listing history (type 2): one row per version of a listing, built incrementally from bronze.
-- valid_from is the event time of the change (the document's updated_at, else the Kafka message time, which
-- ingestion sets to the change stream's cluster time); valid_to is the next version's valid_from (NULL for the
-- last one). A delisted version (a tombstone) is never current; it carries the last known attributes
-- (city, district, property_type, price, area) so that it can be counted per city.
-- arrived_at is when the change reached the warehouse (bronze ingested_at): the market pulse compares it with
-- the event day to tell late changes. kafka_* point at the bronze message of the version.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY (
    id VARCHAR COMMENT 'listing id (Mongo _id)',
    version INTEGER COMMENT '1, 2, ... per listing, in Kafka order',
    valid_from TIMESTAMP_NTZ COMMENT 'event time (UTC): updated_at, else the Kafka message time; never before the version before',
    valid_to TIMESTAMP_NTZ COMMENT 'the next version''s valid_from; NULL for the last version',
    is_current BOOLEAN COMMENT 'the last version, unless it is a delisting',
    change_type VARCHAR COMMENT 'listed, repriced, changed (other fields), delisted (a tombstone), relisted',
    price FLOAT COMMENT 'VND, as silver parses it; a delisting carries the last known price',
    previous_price FLOAT COMMENT 'the version before''s price; NULL for the first version',
    price_change_pct FLOAT COMMENT '100 × (price - previous_price) / previous_price, 4 decimals',
    area FLOAT COMMENT 'm²',
    price_per_sqm FLOAT COMMENT 'price / area; NULL without a positive area',
    city VARCHAR COMMENT '''Unknown'' when missing',
    district VARCHAR COMMENT 'as silver parses it',
    property_type VARCHAR COMMENT 'as silver parses it',
    event_time_source VARCHAR COMMENT 'updated_at, kafka_timestamp or ingested_at: where valid_from comes from',
    arrived_at TIMESTAMP_NTZ COMMENT 'when the change reached the warehouse (bronze ingested_at)',
    version_hash VARCHAR COMMENT 'MD5 of the tracked (typed) fields; ''delisted'' for a delisting',
    kafka_topic VARCHAR COMMENT 'the bronze message of the version',
    kafka_partition INTEGER COMMENT 'the bronze message of the version',
    kafka_offset BIGINT COMMENT 'the bronze message of the version',
    loaded_at TIMESTAMP_NTZ COMMENT 'when the version was added'
)
