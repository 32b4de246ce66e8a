-- One row per Kafka message, never two: (kafka_topic, kafka_partition, kafka_offset) is the identity.
-- op is the change kind from the source: r snapshot read, c insert, u update, d delete (raw_data NULL).
CREATE TABLE IF NOT EXISTS RAW_DB.LANDING.BRONZE_REAL_ESTATE (
    id VARCHAR COMMENT 'Mongo _id (the message key)',
    raw_data VARIANT COMMENT 'the document as JSON; NULL for a delete',
    op VARCHAR COMMENT 'r snapshot, c insert, u update, d delete',
    ingested_at TIMESTAMP_NTZ COMMENT 'when the message was loaded (UTC)',
    source VARCHAR COMMENT 'mongodb:<database>.<collection>',
    kafka_topic VARCHAR COMMENT 'the message''s topic',
    kafka_partition INTEGER COMMENT 'the message''s partition',
    kafka_offset BIGINT COMMENT 'the message''s offset (with topic and partition: the row''s identity)',
    kafka_timestamp TIMESTAMP_NTZ COMMENT 'the message''s Kafka timestamp (UTC)',
    load_id VARCHAR COMMENT 'the batch (transaction) that loaded the row'
)
