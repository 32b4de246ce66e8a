-- Work table of one silver run: the parsed latest version per listing id of the bronze range being merged.
-- Emptied at the start and at the end of every run; the silver asset never runs twice at once (its pool).
CREATE TRANSIENT TABLE IF NOT EXISTS STAGING_DB.CLEANED.SILVER_BATCH (
    id VARCHAR,
    is_tombstone BOOLEAN,
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
    kafka_offset BIGINT
)
