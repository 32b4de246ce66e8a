-- Market analytics per (city, district, property_type) over the gold features, missing parts as 'Unknown'.
-- Averages are rounded to cents so that a rerun over the same rows compares equal and changes nothing.
MERGE INTO ANALYTICS_DB.DWH.GOLD_MARKET_ANALYTICS t
USING (
    SELECT COALESCE(f.city, 'Unknown') AS city,
           COALESCE(f.district, 'Unknown') AS district,
           COALESCE(f.property_type, 'Unknown') AS property_type,
           ROUND(AVG(f.price), 2) AS avg_price,
           PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY f.price) AS median_price,
           MIN(f.price) AS min_price,
           MAX(f.price) AS max_price,
           ROUND(AVG(f.price_per_sqm), 2) AS avg_price_per_sqm,
           COUNT(*) AS total_listings,
           ROUND(AVG(f.area), 2) AS avg_area,
           ROUND(AVG(f.bedrooms), 2) AS avg_bedrooms
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
    GROUP BY COALESCE(f.city, 'Unknown'), COALESCE(f.district, 'Unknown'), COALESCE(f.property_type, 'Unknown')
) s
ON t.city = s.city AND t.district = s.district AND t.property_type = s.property_type
WHEN MATCHED AND (
       t.avg_price IS DISTINCT FROM s.avg_price
    OR t.median_price IS DISTINCT FROM s.median_price
    OR t.min_price IS DISTINCT FROM s.min_price
    OR t.max_price IS DISTINCT FROM s.max_price
    OR t.avg_price_per_sqm IS DISTINCT FROM s.avg_price_per_sqm
    OR t.total_listings IS DISTINCT FROM s.total_listings
    OR t.avg_area IS DISTINCT FROM s.avg_area
    OR t.avg_bedrooms IS DISTINCT FROM s.avg_bedrooms
) THEN UPDATE SET
    avg_price = s.avg_price,
    median_price = s.median_price,
    min_price = s.min_price,
    max_price = s.max_price,
    avg_price_per_sqm = s.avg_price_per_sqm,
    total_listings = s.total_listings,
    avg_area = s.avg_area,
    avg_bedrooms = s.avg_bedrooms,
    updated_at = SYSDATE()
WHEN NOT MATCHED THEN INSERT (
    city, district, property_type, avg_price, median_price, min_price, max_price, avg_price_per_sqm,
    total_listings, avg_area, avg_bedrooms, updated_at
) VALUES (
    s.city, s.district, s.property_type, s.avg_price, s.median_price, s.min_price, s.max_price,
    s.avg_price_per_sqm, s.total_listings, s.avg_area, s.avg_bedrooms, SYSDATE()
)
