INSERT INTO RAW_DB.LANDING.KAFKA_OFFSETS (consumer_name, kafka_topic, kafka_partition, next_offset, load_id, updated_at)
SELECT %(consumer_name)s AS consumer_name,
       %(kafka_topic)s AS kafka_topic,
       %(kafka_partition)s AS kafka_partition,
       %(next_offset)s AS next_offset,
       %(load_id)s AS load_id,
       SYSDATE() AS updated_at
