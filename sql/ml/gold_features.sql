-- The gold rows the ML layer reads: model inputs, the target and the values anomaly detection needs.
SELECT g.id AS id,
       g.property_type AS property_type,
       g.price AS price,
       g.price_per_sqm AS price_per_sqm,
       g.area AS area,
       g.bedrooms AS bedrooms,
       g.bathrooms AS bathrooms,
       g.rooms_total AS rooms_total,
       g.city AS city,
       g.district AS district,
       g.latitude AS latitude,
       g.longitude AS longitude,
       g.posted_date AS posted_date
FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g
WHERE g.id IS NOT NULL
  AND g.price > 0
ORDER BY g.id
