-- Gold features: one row per silver listing with data_quality_score >= min_quality_score and price > 0.
-- processed_at is when the row last changed (a rerun over unchanged silver leaves it as it was).
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_ML_FEATURES (
    id VARCHAR COMMENT 'listing id (Mongo _id)',
    property_type VARCHAR COMMENT 'Căn hộ, Nhà, Đất, Biệt thự, Khác or a structured type',
    price FLOAT COMMENT 'VND',
    price_per_sqm FLOAT COMMENT 'price / area; NULL without a positive area',
    area FLOAT COMMENT 'm²',
    bedrooms INTEGER COMMENT 'NULL when missing',
    bathrooms INTEGER COMMENT 'NULL when missing',
    rooms_total INTEGER COMMENT 'bedrooms + bathrooms, missing as 0',
    city VARCHAR COMMENT 'from silver',
    district VARCHAR COMMENT 'from silver',
    latitude FLOAT COMMENT 'degrees',
    longitude FLOAT COMMENT 'degrees',
    posted_date DATE COMMENT 'when the listing was posted',
    is_high_value BOOLEAN COMMENT 'price > P75',
    price_category VARCHAR COMMENT 'Budget <= P25 < Standard <= P50 < Premium <= P75 < Luxury',
    area_category VARCHAR COMMENT '< 50 Small, < 100 Medium, < 200 Large, else Very Large; Unknown',
    processed_at TIMESTAMP_NTZ COMMENT 'when the row last changed'
)
