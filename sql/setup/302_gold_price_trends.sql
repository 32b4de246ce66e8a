-- Price trends per (city, 'YYYY-MM' of posted_date) over the gold features; listings without a date are left out.
CREATE TABLE IF NOT EXISTS ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS (
    city VARCHAR COMMENT '''Unknown'' when missing',
    year_month VARCHAR COMMENT 'YYYY-MM of posted_date',
    avg_price FLOAT COMMENT 'VND',
    avg_price_per_sqm FLOAT COMMENT 'VND per m²',
    listing_count INTEGER COMMENT 'gold listings posted that month',
    updated_at TIMESTAMP_NTZ COMMENT 'when the row last changed'
)
