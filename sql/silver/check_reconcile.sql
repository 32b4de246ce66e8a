-- Up to silver's high-water marks, every bronze id whose latest version is a document (not a tombstone)
-- is in silver, and silver holds nothing else.
WITH latest AS (
    SELECT b.id AS id,
           CASE WHEN b.op = 'd' OR b.raw_data IS NULL THEN TRUE ELSE FALSE END AS is_tombstone
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    JOIN STAGING_DB.CLEANED.SILVER_WATERMARK w
      ON w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
    WHERE b.kafka_offset <= w.processed_offset
    QUALIFY ROW_NUMBER() OVER (PARTITION BY b.id ORDER BY b.kafka_offset DESC, b.kafka_partition DESC) = 1
),
expected AS (
    SELECT l.id AS id FROM latest l WHERE NOT l.is_tombstone
)
SELECT COUNT(e.id) AS expected_ids,
       COUNT(s.id) AS silver_ids,
       COUNT_IF(s.id IS NULL) AS missing_in_silver,
       COUNT_IF(e.id IS NULL) AS unexpected_in_silver
FROM expected e
FULL OUTER JOIN STAGING_DB.CLEANED.SILVER_REAL_ESTATE s ON s.id = e.id
