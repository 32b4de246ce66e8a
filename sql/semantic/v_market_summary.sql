-- Market analytics per (city, district, property_type) with each group's share of its city's listings
-- (a FLOAT, as declared for the asset: integer division gives a fixed-point NUMBER on Snowflake).
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_MARKET_SUMMARY (
    city COMMENT '''Unknown'' when missing',
    district COMMENT '''Unknown'' when missing',
    property_type COMMENT '''Unknown'' when missing',
    total_listings COMMENT 'gold listings in the group',
    avg_price COMMENT 'VND',
    median_price COMMENT 'VND',
    min_price COMMENT 'VND',
    max_price COMMENT 'VND',
    avg_price_per_sqm COMMENT 'VND per m²',
    avg_area COMMENT 'm²',
    avg_bedrooms COMMENT 'over listings with bedrooms',
    share_of_city_listings COMMENT 'total_listings / the city''s listings (0-1]',
    updated_at COMMENT 'when the gold row last changed'
) COPY GRANTS AS
SELECT m.city AS city,
       m.district AS district,
       m.property_type AS property_type,
       m.total_listings AS total_listings,
       m.avg_price AS avg_price,
       m.median_price AS median_price,
       m.min_price AS min_price,
       m.max_price AS max_price,
       m.avg_price_per_sqm AS avg_price_per_sqm,
       m.avg_area AS avg_area,
       m.avg_bedrooms AS avg_bedrooms,
       m.total_listings::FLOAT / SUM(m.total_listings) OVER (PARTITION BY m.city) AS share_of_city_listings,
       m.updated_at AS updated_at
FROM ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS m
