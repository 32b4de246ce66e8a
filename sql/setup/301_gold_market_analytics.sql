-- Market analytics per (city, district, property_type) over the gold features; missing parts as 'Unknown'.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS (
    city VARCHAR,
    district VARCHAR,
    property_type VARCHAR,
    avg_price FLOAT,
    median_price FLOAT,
    min_price FLOAT,
    max_price FLOAT,
    avg_price_per_sqm FLOAT,
    total_listings INTEGER,
    avg_area FLOAT,
    avg_bedrooms FLOAT,
    updated_at TIMESTAMP_NTZ
)
