-- SILVER_BATCH -> silver, one row per listing id: a tombstone removes the listing, a changed document
-- replaces the row, an identical re-sent copy (same record_hash) changes nothing.
MERGE INTO STAGING_DB.CLEANED.SILVER_REAL_ESTATE t
USING (
    SELECT b.id AS id,
           b.is_tombstone AS is_tombstone,
           b.property_type AS property_type,
           b.price AS price,
           b.area AS area,
           b.bedrooms AS bedrooms,
           b.bathrooms AS bathrooms,
           b.location AS location,
           b.city AS city,
           b.district AS district,
           b.latitude AS latitude,
           b.longitude AS longitude,
           b.description AS description,
           b.posted_date AS posted_date,
           b.data_quality_score AS data_quality_score,
           b.quality_issues AS quality_issues,
           b.source_shape AS source_shape,
           b.record_hash AS record_hash,
           b.kafka_topic AS kafka_topic,
           b.kafka_partition AS kafka_partition,
           b.kafka_offset AS kafka_offset
    FROM STAGING_DB.CLEANED.SILVER_BATCH b
) s
ON t.id = s.id
WHEN MATCHED AND s.is_tombstone THEN DELETE
WHEN MATCHED AND NOT s.is_tombstone AND t.record_hash IS DISTINCT FROM s.record_hash THEN UPDATE SET
    property_type = s.property_type,
    price = s.price,
    area = s.area,
    bedrooms = s.bedrooms,
    bathrooms = s.bathrooms,
    location = s.location,
    city = s.city,
    district = s.district,
    latitude = s.latitude,
    longitude = s.longitude,
    description = s.description,
    posted_date = s.posted_date,
    data_quality_score = s.data_quality_score,
    quality_issues = s.quality_issues,
    source_shape = s.source_shape,
    record_hash = s.record_hash,
    kafka_topic = s.kafka_topic,
    kafka_partition = s.kafka_partition,
    kafka_offset = s.kafka_offset,
    processed_at = SYSDATE()
WHEN NOT MATCHED AND NOT s.is_tombstone THEN INSERT (
    id, property_type, price, area, bedrooms, bathrooms, location, city, district, latitude, longitude,
    description, posted_date, data_quality_score, quality_issues, source_shape, record_hash,
    kafka_topic, kafka_partition, kafka_offset, processed_at
) VALUES (
    s.id, s.property_type, s.price, s.area, s.bedrooms, s.bathrooms, s.location, s.city, s.district,
    s.latitude, s.longitude, s.description, s.posted_date, s.data_quality_score, s.quality_issues,
    s.source_shape, s.record_hash, s.kafka_topic, s.kafka_partition, s.kafka_offset, SYSDATE()
)
