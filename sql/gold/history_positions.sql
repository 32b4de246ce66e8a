-- Per partition silver has merged: silver's high-water mark and the listing history's position (NULL: never
-- seen). The history has work when silver's mark is above its position; its positions (with when they moved)
-- name its data version (lib/unchanged_state.py).
SELECT s.kafka_topic AS kafka_topic,
       s.kafka_partition AS kafka_partition,
       s.processed_offset AS upstream_offset,
       h.processed_offset AS processed_offset,
       TO_VARCHAR(h.updated_at) AS updated_at
FROM STAGING_DB.CLEANED.SILVER_WATERMARK s
LEFT JOIN ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS h
  ON h.kafka_topic = s.kafka_topic AND h.kafka_partition = s.kafka_partition
ORDER BY s.kafka_topic, s.kafka_partition
