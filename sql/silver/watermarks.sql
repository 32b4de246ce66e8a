SELECT w.kafka_topic AS kafka_topic,
       w.kafka_partition AS kafka_partition,
       w.processed_offset AS processed_offset
FROM STAGING_DB.CLEANED.SILVER_WATERMARK w
ORDER BY w.kafka_topic, w.kafka_partition
