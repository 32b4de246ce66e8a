-- Open anomaly alerts with the listing's details, highest score first.
SELECT a.alert_id AS alert_id,
       a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       a.anomaly_score AS anomaly_score,
       a.property_id AS property_id,
       a.city AS city,
       a.district AS district,
       a.property_type AS property_type,
       a.price AS price,
       a.area AS area,
       a.price_per_sqm AS price_per_sqm,
       a.expected_value AS expected_value,
       a.actual_value AS actual_value,
       a.description AS description,
       a.detected_at AS detected_at,
       a.last_detected_at AS last_detected_at
FROM ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES a
ORDER BY anomaly_score DESC, alert_id
LIMIT %(limit)s
