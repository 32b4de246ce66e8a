SELECT kafka_partition AS kafka_partition,
       MIN(kafka_offset) AS min_offset,
       MAX(kafka_offset) AS max_offset,
       COUNT(*) AS messages
FROM (
    SELECT kafka_partition, kafka_offset FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(kafka_topic)s
    UNION ALL
    SELECT kafka_partition, kafka_offset FROM RAW_DB.LANDING.BRONZE_REJECTS WHERE kafka_topic = %(kafka_topic)s
) AS loaded
GROUP BY kafka_partition
ORDER BY kafka_partition
