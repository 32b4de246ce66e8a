-- A bronze partition silver has never seen starts below offset 0.
INSERT INTO STAGING_DB.CLEANED.SILVER_WATERMARK
    (kafka_topic, kafka_partition, processed_offset, pending_offset, updated_at)
SELECT b.kafka_topic AS kafka_topic,
       b.kafka_partition AS kafka_partition,
       -1 AS processed_offset,
       -1 AS pending_offset,
       SYSDATE() AS updated_at
FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
WHERE NOT EXISTS (
    SELECT 1 FROM STAGING_DB.CLEANED.SILVER_WATERMARK w
    WHERE w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
)
GROUP BY b.kafka_topic, b.kafka_partition
