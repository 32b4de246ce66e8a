-- Open anomaly alerts per type and severity.
SELECT a.anomaly_type AS anomaly_type,
       a.severity AS severity,
       COUNT(*) AS alerts
FROM ANALYTICS_DB.SEMANTIC.V_ACTIVE_ANOMALIES a
GROUP BY a.anomaly_type, a.severity
ORDER BY anomaly_type, severity
