-- Open anomaly alerts with the listing they point at: what an analyst should look at first.
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES (
    alert_id COMMENT 'MD5(property_id|anomaly_type|detected_at)',
    property_id COMMENT 'gold listing id',
    anomaly_type COMMENT 'PRICE_OUTLIER, PRICE_PER_SQM_OUTLIER or ISOLATION_FOREST',
    severity COMMENT 'HIGH or MEDIUM',
    anomaly_score COMMENT 'z, or the Isolation Forest score (0-1]',
    expected_value COMMENT 'city mean, or the peers'' expected price',
    actual_value COMMENT 'the listing''s value (price or price per m²)',
    description COMMENT 'the alert''s explanation',
    city COMMENT 'the listing''s, from gold',
    district COMMENT 'from gold',
    property_type COMMENT 'from gold',
    price COMMENT 'the listing''s current price (VND), from gold',
    area COMMENT 'm², from gold',
    price_per_sqm COMMENT 'from gold',
    detected_at COMMENT 'first detection of this episode',
    last_detected_at COMMENT 'the latest run that still found it'
) COPY GRANTS AS
SELECT a.alert_id AS alert_id,
       a.property_id AS property_id,
       a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       a.anomaly_score AS anomaly_score,
       a.expected_value AS expected_value,
       a.actual_value AS actual_value,
       a.description AS description,
       f.city AS city,
       f.district AS district,
       f.property_type AS property_type,
       f.price AS price,
       f.area AS area,
       f.price_per_sqm AS price_per_sqm,
       a.detected_at AS detected_at,
       a.last_detected_at AS last_detected_at
FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
JOIN ANALYTICS_DB.DWH.GOLD_ML_FEATURES f ON f.id = a.property_id
WHERE NOT a.is_resolved
