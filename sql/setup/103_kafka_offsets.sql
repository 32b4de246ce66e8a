-- Consumer positions kept beside the data they produced (as the Snowflake Kafka connector does).
-- Append-only: one row per partition per published batch, written in the same transaction as the rows,
-- so a crash can neither lose nor double a batch; the position is MAX(next_offset).
CREATE TABLE IF NOT EXISTS RAW_DB.LANDING.KAFKA_OFFSETS (
    consumer_name VARCHAR,
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    next_offset BIGINT,
    load_id VARCHAR,
    updated_at TIMESTAMP_NTZ
)
