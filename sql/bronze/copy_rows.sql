-- {stage_file} is a file name this loader generated (validated), never input.
-- The Kafka timestamp travels as epoch milliseconds (int64): a Parquet timestamp column without
-- USE_LOGICAL_TYPE would reach Snowflake as a bare integer that a VARIANT cast reads as seconds.
-- SYSDATE() is the current time in UTC as TIMESTAMP_NTZ whatever the session's time zone.
COPY INTO RAW_DB.LANDING.BRONZE_REAL_ESTATE
    (id, raw_data, op, ingested_at, source, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, load_id)
FROM (
    SELECT $1:message_key::VARCHAR,
           PARSE_JSON($1:raw_text::VARCHAR),
           $1:op::VARCHAR,
           SYSDATE(),
           %(source)s,
           $1:kafka_topic::VARCHAR,
           $1:kafka_partition::INTEGER,
           $1:kafka_offset::BIGINT,
           TO_TIMESTAMP_NTZ($1:kafka_timestamp::BIGINT, 3),
           %(load_id)s
    FROM @RAW_DB.LANDING.BRONZE_STAGE/{stage_file}
)
FILE_FORMAT = (TYPE = PARQUET)
PURGE = TRUE
