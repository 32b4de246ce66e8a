-- Silver: one row per listing id, parsed from both source shapes; the latest version (highest offset) wins.
-- record_hash is the MD5 of the winning document, so a re-sent copy of the same version changes nothing;
-- kafka_* point at the bronze message that last changed the row.
CREATE TABLE IF NOT EXISTS STAGING_DB.CLEANED.SILVER_REAL_ESTATE (
    id VARCHAR COMMENT 'Mongo _id, one row per listing',
    property_type VARCHAR COMMENT 'structured: as given; crawled: from the Link slug (Căn hộ, Nhà, Đất, Biệt thự, else Khác)',
    price FLOAT COMMENT 'VND; ''3,5 tỷ'' = 3.5e9, ''850 triệu'' = 8.5e8, ''N triệu/m²'' × area; ''Thỏa thuận'' = NULL',
    area FLOAT COMMENT 'm²; ''1.234,5 m²'' = 1234.5',
    bedrooms INTEGER COMMENT '''3 phòng'' = 3',
    bathrooms INTEGER COMMENT 'whole number; NULL when missing',
    location VARCHAR COMMENT 'street address (crawled: the whole Địa chỉ)',
    city VARCHAR COMMENT 'crawled: the last comma part of Địa chỉ',
    district VARCHAR COMMENT 'NULL when missing',
    latitude FLOAT COMMENT 'degrees',
    longitude FLOAT COMMENT 'degrees',
    description VARCHAR COMMENT 'crawled: the title',
    posted_date DATE COMMENT 'ISO or dd/mm/yyyy in the source',
    data_quality_score NUMBER(3, 1) COMMENT '0.2 each: price > 0, area > 0, location, bedrooms, city',
    quality_issues VARCHAR COMMENT 'failed rules, comma-separated, e.g. price_missing,bedrooms_missing',
    source_shape VARCHAR COMMENT 'structured or crawled',
    record_hash VARCHAR COMMENT 'MD5 of the source document',
    kafka_topic VARCHAR COMMENT 'the bronze message the row comes from',
    kafka_partition INTEGER COMMENT 'the bronze message the row comes from',
    kafka_offset BIGINT COMMENT 'the bronze message that last changed the row',
    processed_at TIMESTAMP_NTZ COMMENT 'when the row last changed'
)
