-- Silver's high-water marks per bronze partition. A run first pins pending_offset (the newest bronze offset
-- it will read), merges the rows in (processed_offset, pending_offset], then moves processed_offset up.
-- A crash in between re-reads the same range next time, which the merge absorbs (latest version wins).
CREATE TABLE IF NOT EXISTS STAGING_DB.CLEANED.SILVER_WATERMARK (
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    processed_offset BIGINT,
    pending_offset BIGINT,
    updated_at TIMESTAMP_NTZ
)
