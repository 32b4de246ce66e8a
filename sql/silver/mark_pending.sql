-- Pin the range this run reads: up to the newest bronze offset per partition right now. Bronze commits a
-- partition's messages in offset order, so anything arriving later lies above the pin and waits for the next run.
UPDATE STAGING_DB.CLEANED.SILVER_WATERMARK w
SET pending_offset = m.max_offset, updated_at = SYSDATE()
FROM (
    SELECT b.kafka_topic AS kafka_topic, b.kafka_partition AS kafka_partition, MAX(b.kafka_offset) AS max_offset
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    GROUP BY b.kafka_topic, b.kafka_partition
) m
WHERE w.kafka_topic = m.kafka_topic
  AND w.kafka_partition = m.kafka_partition
  AND m.max_offset > w.processed_offset
