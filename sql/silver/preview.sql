SELECT s.id AS id,
       s.property_type AS property_type,
       s.price AS price,
       s.area AS area,
       s.city AS city,
       s.district AS district,
       s.data_quality_score AS data_quality_score,
       s.quality_issues AS quality_issues
FROM STAGING_DB.CLEANED.SILVER_REAL_ESTATE s
ORDER BY s.processed_at DESC, s.id
LIMIT 5
