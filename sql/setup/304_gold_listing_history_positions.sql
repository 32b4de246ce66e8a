-- The listing history's own positions per bronze partition (like SILVER_WATERMARK): a run pins pending_offset
-- (the newest bronze offset it will read), adds the versions of the messages in (processed_offset,
-- pending_offset] and moves processed_offset up in the same transaction as the new versions.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS (
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    processed_offset BIGINT,
    pending_offset BIGINT,
    updated_at TIMESTAMP_NTZ
)
