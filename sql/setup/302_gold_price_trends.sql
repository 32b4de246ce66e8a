-- Price trends per (city, 'YYYY-MM' of posted_date) over the gold features; listings without a date are left out.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS (
    city VARCHAR,
    year_month VARCHAR,
    avg_price FLOAT,
    avg_price_per_sqm FLOAT,
    listing_count INTEGER,
    updated_at TIMESTAMP_NTZ
)
