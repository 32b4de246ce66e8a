-- Histogram of the per-city z-scores that sql/ml/zscore_candidates.sql alerts on (same measures, same cities),
-- for the chart on anomaly_alerts: bin k holds z in [k * bin_width, (k + 1) * bin_width), the last bin
-- (max_bin) everything above.
WITH gold AS (
    SELECT g.id AS id, g.city AS city, g.price AS price, g.price_per_sqm AS price_per_sqm
    FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g
    WHERE g.id IS NOT NULL AND g.city IS NOT NULL AND g.price > 0
),
measures AS (
    SELECT gold.city AS city, 'PRICE_OUTLIER' AS anomaly_type, gold.price AS x
    FROM gold
    UNION ALL
    SELECT gold.city AS city, 'PRICE_PER_SQM_OUTLIER' AS anomaly_type, gold.price_per_sqm AS x
    FROM gold
    WHERE gold.price_per_sqm IS NOT NULL
),
stats AS (
    SELECT m.anomaly_type AS anomaly_type,
           m.x AS x,
           AVG(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_mean,
           STDDEV_SAMP(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_std,
           COUNT(m.x) OVER (PARTITION BY m.city, m.anomaly_type) AS city_n
    FROM measures m
),
binned AS (
    SELECT s.anomaly_type AS anomaly_type,
           LEAST(FLOOR(ABS(s.x - s.city_mean) / s.city_std / %(bin_width)s), %(max_bin)s) AS bin
    FROM stats s
    WHERE s.city_n >= %(min_city_listings)s
      AND s.city_std > 0
)
SELECT b.anomaly_type AS anomaly_type, b.bin AS bin, COUNT(*) AS listings
FROM binned b
GROUP BY b.anomaly_type, b.bin
ORDER BY b.anomaly_type, b.bin
