-- Monthly price trends per city with the change against the city's previous month that has listings.
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_PRICE_TRENDS (
    city COMMENT '''Unknown'' when missing',
    year_month COMMENT 'YYYY-MM of posted_date',
    listing_count COMMENT 'gold listings posted that month',
    avg_price COMMENT 'VND',
    avg_price_per_sqm COMMENT 'VND per m²',
    previous_avg_price COMMENT 'avg_price of the city''s previous month with listings; NULL for the first',
    avg_price_change COMMENT 'avg_price / previous_avg_price - 1; NULL for the first month',
    updated_at COMMENT 'when the gold row last changed'
) COPY GRANTS AS
SELECT p.city AS city,
       p.year_month AS year_month,
       p.listing_count AS listing_count,
       p.avg_price AS avg_price,
       p.avg_price_per_sqm AS avg_price_per_sqm,
       LAG(p.avg_price) OVER (PARTITION BY p.city ORDER BY p.year_month) AS previous_avg_price,
       p.avg_price / NULLIF(LAG(p.avg_price) OVER (PARTITION BY p.city ORDER BY p.year_month), 0) - 1
           AS avg_price_change,
       p.updated_at AS updated_at
FROM ANALYTICS_DB.DWH.GOLD_PRICE_TRENDS p
