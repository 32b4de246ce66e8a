-- Resolved anomaly alerts, newest resolution first (the listing may be gone: only the alert's own columns).
SELECT a.alert_id AS alert_id,
       a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       a.anomaly_score AS anomaly_score,
       a.property_id AS property_id,
       a.city AS city,
       a.description AS description,
       a.detected_at AS detected_at,
       a.resolved_at AS resolved_at,
       a.resolution AS resolution
FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
WHERE a.is_resolved
ORDER BY resolved_at DESC, alert_id
LIMIT %(limit)s
