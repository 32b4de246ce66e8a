-- One row per Kafka message, never two: (kafka_topic, kafka_partition, kafka_offset) is the identity.
-- op is the change kind from the source: r snapshot read, c insert, u update, d delete (raw_data NULL).
CREATE TABLE IF NOT EXISTS RAW_DB.LANDING.BRONZE_REAL_ESTATE (
    id VARCHAR,
    raw_data VARIANT,
    op VARCHAR,
    ingested_at TIMESTAMP_NTZ,
    source VARCHAR,
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    kafka_offset BIGINT,
    kafka_timestamp TIMESTAMP_NTZ,
    load_id VARCHAR
)
