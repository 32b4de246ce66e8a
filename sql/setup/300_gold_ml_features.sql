-- Gold features: one row per silver listing with data_quality_score >= min_quality_score and price > 0.
-- processed_at is when the row last changed (a rerun over unchanged silver leaves it as it was).
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_ML_FEATURES (
    id VARCHAR,
    property_type VARCHAR,
    price FLOAT,
    price_per_sqm FLOAT,
    area FLOAT,
    bedrooms INTEGER,
    bathrooms INTEGER,
    rooms_total INTEGER,
    city VARCHAR,
    district VARCHAR,
    latitude FLOAT,
    longitude FLOAT,
    posted_date DATE,
    is_high_value BOOLEAN,
    price_category VARCHAR,
    area_category VARCHAR,
    processed_at TIMESTAMP_NTZ
)
