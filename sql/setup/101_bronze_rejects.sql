-- Messages that are not a JSON object (or not valid UTF-8): kept with the reason, never dropped.
CREATE TABLE IF NOT EXISTS RAW_DB.LANDING.BRONZE_REJECTS (
    message_key VARCHAR,
    raw_text VARCHAR,
    error VARCHAR,
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    kafka_offset BIGINT,
    rejected_at TIMESTAMP_NTZ,
    load_id VARCHAR
)
