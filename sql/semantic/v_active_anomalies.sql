-- Open anomaly alerts with the listing they point at: what an analyst should look at first.
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES COPY GRANTS AS
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
