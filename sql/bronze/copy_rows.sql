-- {stage_file} is a file name this loader generated (validated), never input.
COPY INTO RAW_DB.LANDING.BRONZE_REAL_ESTATE
    (id, raw_data, op, ingested_at, source, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, load_id)
FROM (
    SELECT $1:message_key::VARCHAR,
           PARSE_JSON($1:raw_text::VARCHAR),
           $1:op::VARCHAR,
           CURRENT_TIMESTAMP(),
           %(source)s,
           $1:kafka_topic::VARCHAR,
           $1:kafka_partition::INTEGER,
           $1:kafka_offset::BIGINT,
           $1:kafka_timestamp::TIMESTAMP_NTZ,
           %(load_id)s
    FROM @RAW_DB.LANDING.BRONZE_STAGE/{stage_file}
)
FILE_FORMAT = (TYPE = PARQUET)
PURGE = TRUE
