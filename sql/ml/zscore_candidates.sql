-- Z-score outliers per city, for price ('PRICE_OUTLIER') and price per m² ('PRICE_PER_SQM_OUTLIER'):
-- z = |x - city mean| / city sample standard deviation, over cities with >= min_city_listings values;
-- an alert when z > z_threshold, severity HIGH when z > high_z_threshold, else MEDIUM.
INSERT INTO ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES
    (run_id, property_id, anomaly_type, anomaly_score, expected_value, actual_value, description, severity,
     city, created_at)
WITH gold AS (
    SELECT g.id AS id, g.city AS city, g.price AS price, g.price_per_sqm AS price_per_sqm
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g
    WHERE g.id IS NOT NULL AND g.city IS NOT NULL AND g.price > 0
),
measures AS (
    SELECT gold.id AS id, gold.city AS city, 'PRICE_OUTLIER' AS anomaly_type, 'Price' AS label,
           'VND' AS unit, gold.price AS x
    FROM gold
    UNION ALL
    SELECT gold.id AS id, gold.city AS city, 'PRICE_PER_SQM_OUTLIER' AS anomaly_type, 'Price per m2' AS label,
           'VND/m2' AS unit, gold.price_per_sqm AS x
    FROM gold
    WHERE gold.price_per_sqm IS NOT NULL
),
stats AS (
    SELECT m.id AS id, m.city AS city, m.anomaly_type AS anomaly_type, m.label AS label, m.unit AS unit,
           m.x AS x,
           AVG(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_mean,
           STDDEV_SAMP(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_std,
           COUNT(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_n
    FROM measures m
),
scored AS (
    SELECT s.id AS id, s.city AS city, s.anomaly_type AS anomaly_type, s.label AS label, s.unit AS unit,
           s.x AS x, s.city_mean AS city_mean, s.city_n AS city_n,
           ABS(s.x - s.city_mean) / s.city_std AS z
    FROM stats s
    WHERE s.city_n >= %(min_city_listings)s
      AND s.city_std > 0
)
SELECT %(run_id)s AS run_id,
       sc.id AS property_id,
       sc.anomaly_type AS anomaly_type,
       sc.z AS anomaly_score,
       sc.city_mean AS expected_value,
       sc.x AS actual_value,
       sc.label || ' ' || TO_VARCHAR(ROUND(sc.x, 0)::NUMBER(38, 0)) || ' ' || sc.unit || ' is ' || TO_VARCHAR(ROUND(sc.z, 2)::NUMBER(12, 2))
           || ' standard deviations ' || CASE WHEN sc.x > sc.city_mean THEN 'above' ELSE 'below' END
           || ' the mean of ' || TO_VARCHAR(ROUND(sc.city_mean, 0)::NUMBER(38, 0)) || ' over ' || TO_VARCHAR(sc.city_n)
           || ' listings in ' || sc.city AS description,
       CASE WHEN sc.z > %(high_z_threshold)s THEN 'HIGH' ELSE 'MEDIUM' END AS severity,
       sc.city AS city,
       %(run_at)s::TIMESTAMP_NTZ AS created_at
FROM scored sc
WHERE sc.z > %(z_threshold)s
