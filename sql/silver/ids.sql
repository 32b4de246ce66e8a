-- The listing ids silver holds for one topic (checked against the source's ids).
SELECT id AS id
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE
WHERE kafka_topic = %(kafka_topic)s
