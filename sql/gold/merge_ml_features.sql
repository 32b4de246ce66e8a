-- Gold features for the population: silver listings with data_quality_score >= min_quality_score and price > 0.
-- Price quartiles P25/P50/P75 are computed over that population in this same statement:
-- Budget <= P25 < Standard <= P50 < Premium <= P75 < Luxury; is_high_value = price > P75.
-- Area: < 50 Small, < 100 Medium, < 200 Large, else Very Large (no positive area: Unknown).
-- A row is only rewritten when one of its values changed, so a rerun changes nothing.
MERGE INTO ANALYTICS_DB.DWH.GOLD_ML_FEATURES t
USING (
    WITH population AS (
        SELECT s.id AS id,
               s.property_type AS property_type,
               s.price AS price,
               s.area AS area,
               s.bedrooms AS bedrooms,
               s.bathrooms AS bathrooms,
               s.city AS city,
               s.district AS district,
               s.latitude AS latitude,
               s.longitude AS longitude,
               s.posted_date AS posted_date
        FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
        WHERE s.data_quality_score >= %(min_quality_score)s
          AND s.price > 0
    ),
    quartiles AS (
        SELECT PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY p.price) AS p25,
               PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY p.price) AS p50,
               PERCENTILE_CONT(0.75) WITHIN GROUP (ORDER BY p.price) AS p75
        FROM population p
    )
    SELECT p.id AS id,
           p.property_type AS property_type,
           p.price AS price,
           CASE WHEN p.area > 0 THEN p.price / p.area END AS price_per_sqm,
           p.area AS area,
           p.bedrooms AS bedrooms,
           p.bathrooms AS bathrooms,
           COALESCE(p.bedrooms, 0) + COALESCE(p.bathrooms, 0) AS rooms_total,
           p.city AS city,
           p.district AS district,
           p.latitude AS latitude,
           p.longitude AS longitude,
           p.posted_date AS posted_date,
           CASE WHEN p.price > q.p75 THEN TRUE ELSE FALSE END AS is_high_value,
           CASE WHEN p.price <= q.p25 THEN 'Budget'
                WHEN p.price <= q.p50 THEN 'Standard'
                WHEN p.price <= q.p75 THEN 'Premium'
                ELSE 'Luxury' END AS price_category,
           CASE WHEN p.area IS NULL OR p.area <= 0 THEN 'Unknown'
                WHEN p.area < 50 THEN 'Small'
                WHEN p.area < 100 THEN 'Medium'
                WHEN p.area < 200 THEN 'Large'
                ELSE 'Very Large' END AS area_category
    FROM population p
    CROSS JOIN quartiles q
) s
ON t.id = s.id
WHEN MATCHED AND (
       t.property_type IS DISTINCT FROM s.property_type
    OR t.price IS DISTINCT FROM s.price
    OR t.price_per_sqm IS DISTINCT FROM s.price_per_sqm
    OR t.area IS DISTINCT FROM s.area
    OR t.bedrooms IS DISTINCT FROM s.bedrooms
    OR t.bathrooms IS DISTINCT FROM s.bathrooms
    OR t.rooms_total IS DISTINCT FROM s.rooms_total
    OR t.city IS DISTINCT FROM s.city
    OR t.district IS DISTINCT FROM s.district
    OR t.latitude IS DISTINCT FROM s.latitude
    OR t.longitude IS DISTINCT FROM s.longitude
    OR t.posted_date IS DISTINCT FROM s.posted_date
    OR t.is_high_value IS DISTINCT FROM s.is_high_value
    OR t.price_category IS DISTINCT FROM s.price_category
    OR t.area_category IS DISTINCT FROM s.area_category
) THEN UPDATE SET
    property_type = s.property_type,
    price = s.price,
    price_per_sqm = s.price_per_sqm,
    area = s.area,
    bedrooms = s.bedrooms,
    bathrooms = s.bathrooms,
    rooms_total = s.rooms_total,
    city = s.city,
    district = s.district,
    latitude = s.latitude,
    longitude = s.longitude,
    posted_date = s.posted_date,
    is_high_value = s.is_high_value,
    price_category = s.price_category,
    area_category = s.area_category,
    processed_at = SYSDATE()
WHEN NOT MATCHED THEN INSERT (
    id, property_type, price, price_per_sqm, area, bedrooms, bathrooms, rooms_total, city, district,
    latitude, longitude, posted_date, is_high_value, price_category, area_category, processed_at
) VALUES (
    s.id, s.property_type, s.price, s.price_per_sqm, s.area, s.bedrooms, s.bathrooms, s.rooms_total, s.city,
    s.district, s.latitude, s.longitude, s.posted_date, s.is_high_value, s.price_category, s.area_category,
    SYSDATE()
)
