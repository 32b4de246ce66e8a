-- {stage_file} is a file name this loader generated (validated), never input.
COPY INTO RAW_DB.LANDING.BRONZE_REJECTS
    (message_key, raw_text, error, kafka_topic, kafka_partition, kafka_offset, rejected_at, load_id)
FROM (
    SELECT $1:message_key::VARCHAR,
           $1:raw_text::VARCHAR,
           $1:error::VARCHAR,
           $1:kafka_topic::VARCHAR,
           $1:kafka_partition::INTEGER,
           $1:kafka_offset::BIGINT,
           SYSDATE(),
           %(load_id)s
    FROM @RAW_DB.LANDING.BRONZE_STAGE/{stage_file}
)
FILE_FORMAT = (TYPE = PARQUET)
PURGE = TRUE
