SELECT kafka_partition AS kafka_partition, MAX(next_offset) AS next_offset
FROM RAW_DB.LANDING.KAFKA_OFFSETS
WHERE consumer_name = %(consumer_name)s AND kafka_topic = %(kafka_topic)s
GROUP BY kafka_partition
