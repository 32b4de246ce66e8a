SELECT kafka_partition AS kafka_partition, kafka_offset AS kafka_offset, COUNT(*) AS copies
FROM (
    SELECT kafka_partition, kafka_offset FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(kafka_topic)s
    UNION ALL
    SELECT kafka_partition, kafka_offset FROM RAW_DB.LANDING.BRONZE_REJECTS WHERE kafka_topic = %(kafka_topic)s
) AS loaded
GROUP BY kafka_partition, kafka_offset
HAVING COUNT(*) > 1
ORDER BY kafka_partition, kafka_offset
LIMIT 20
