-- Alerts by type, severity and state, for the asset's metadata.
SELECT a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       COUNT_IF(a.is_resolved = FALSE) AS open_alerts,
       COUNT_IF(a.is_resolved = TRUE) AS resolved_alerts
FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
GROUP BY a.anomaly_type, a.severity
ORDER BY a.anomaly_type, a.severity
