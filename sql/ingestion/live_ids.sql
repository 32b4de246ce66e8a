-- Ids the warehouse holds as live listings of this topic: silver's rows, and ids whose latest bronze
-- message is a document (bronze may be ahead of silver: those would reach silver on its next run).
SELECT s.id AS id
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
WHERE s.kafka_topic = %(kafka_topic)s
UNION
SELECT l.id AS id
FROM (
    SELECT b.id AS id, b.op AS op, b.raw_data AS raw_data
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    WHERE b.kafka_topic = %(kafka_topic)s
    QUALIFY ROW_NUMBER() OVER (PARTITION BY b.id ORDER BY b.kafka_offset DESC, b.kafka_partition DESC) = 1
) l
WHERE l.op <> 'd' AND l.raw_data IS NOT NULL
