-- Market analytics per (city, district, property_type) over the gold features; missing parts as 'Unknown'.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS (
    city VARCHAR COMMENT '''Unknown'' when missing',
    district VARCHAR COMMENT '''Unknown'' when missing',
    property_type VARCHAR COMMENT '''Unknown'' when missing',
    avg_price FLOAT COMMENT 'VND',
    median_price FLOAT COMMENT 'VND',
    min_price FLOAT COMMENT 'VND',
    max_price FLOAT COMMENT 'VND',
    avg_price_per_sqm FLOAT COMMENT 'VND per m²',
    total_listings INTEGER COMMENT 'gold listings in the group',
    avg_area FLOAT COMMENT 'm²',
    avg_bedrooms FLOAT COMMENT 'over listings with bedrooms',
    updated_at TIMESTAMP_NTZ COMMENT 'when the row last changed'
)
