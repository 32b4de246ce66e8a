-- Per bronze partition: its newest offset and silver's high-water mark (NULL: silver has never seen it). Silver
-- has work when a partition's newest offset is above its mark; the marks (with when they moved) are what silver
-- has merged, so they also name its data version (lib/unchanged_state.py).
SELECT m.kafka_topic AS kafka_topic,
       m.kafka_partition AS kafka_partition,
       m.max_offset AS upstream_offset,
       w.processed_offset AS processed_offset,
       TO_VARCHAR(w.updated_at) AS updated_at
FROM (
    SELECT b.kafka_topic AS kafka_topic, b.kafka_partition AS kafka_partition, MAX(b.kafka_offset) AS max_offset
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    GROUP BY b.kafka_topic, b.kafka_partition
) m
LEFT JOIN STAGING_DB.CLEANED.SILVER_WATERMARK w
  ON w.kafka_topic = m.kafka_topic AND w.kafka_partition = m.kafka_partition
ORDER BY m.kafka_topic, m.kafka_partition
