-- Silver: one row per listing id, parsed from both source shapes; the latest version (highest offset) wins.
-- record_hash is the MD5 of the winning document, so a re-sent copy of the same version changes nothing;
-- kafka_* point at the bronze message that last changed the row.
CREATE TABLE IF NOT EXISTS STAGING_DB.CLEANED.SILVER_REAL_ESTATE (
    id VARCHAR,
    property_type VARCHAR,
    price FLOAT,
    area FLOAT,
    bedrooms INTEGER,
    bathrooms INTEGER,
    location VARCHAR,
    city VARCHAR,
    district VARCHAR,
    latitude FLOAT,
    longitude FLOAT,
    description VARCHAR,
    posted_date DATE,
    data_quality_score NUMBER(3, 1),
    quality_issues VARCHAR,
    source_shape VARCHAR,
    record_hash VARCHAR,
    kafka_topic VARCHAR,
    kafka_partition INTEGER,
    kafka_offset BIGINT,
    processed_at TIMESTAMP_NTZ
)
