-- A bronze partition the listing history has never seen (silver has marks for it) starts below offset 0.
INSERT INTO ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS
    (kafka_topic, kafka_partition, processed_offset, pending_offset, updated_at)
SELECT s.kafka_topic AS kafka_topic,
       s.kafka_partition AS kafka_partition,
       -1 AS processed_offset,
       -1 AS pending_offset,
       SYSDATE() AS updated_at
FROM STAGING_DB.CLEANED.SILVER_WATERMARK s
WHERE NOT EXISTS (
    SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS w
    WHERE w.kafka_topic = s.kafka_topic AND w.kafka_partition = s.kafka_partition
)
