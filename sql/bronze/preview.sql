SELECT kafka_partition AS kafka_partition,
       kafka_offset AS kafka_offset,
       op AS op,
       id AS id,
       TO_VARCHAR(raw_data) AS raw_data,
       ingested_at AS ingested_at
FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE
WHERE kafka_topic = %(kafka_topic)s
ORDER BY ingested_at DESC, kafka_partition, kafka_offset DESC
LIMIT 5
