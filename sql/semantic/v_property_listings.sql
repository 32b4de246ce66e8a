-- The trusted listings with their features, and the silver details people look for (address, title,
-- quality score, where the row came from).
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_PROPERTY_LISTINGS COPY GRANTS AS
SELECT f.id AS id,
       f.property_type AS property_type,
       f.price AS price,
       f.price_per_sqm AS price_per_sqm,
       f.area AS area,
       f.bedrooms AS bedrooms,
       f.bathrooms AS bathrooms,
       f.rooms_total AS rooms_total,
       f.city AS city,
       f.district AS district,
       s.location AS location,
       f.latitude AS latitude,
       f.longitude AS longitude,
       s.description AS description,
       f.posted_date AS posted_date,
       f.price_category AS price_category,
       f.area_category AS area_category,
       f.is_high_value AS is_high_value,
       s.data_quality_score AS data_quality_score,
       s.source_shape AS source_shape,
       f.processed_at AS processed_at
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f
LEFT JOIN STAGING_DB.CLEANED.SILVER_REAL_ESTATE s ON s.id = f.id
