-- Detections of one run by type, and how many of them refresh an alert that is already open.
SELECT c.anomaly_type AS anomaly_type,
       COUNT(*) AS detected,
       COUNT(a.alert_id) AS already_open
FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES c
LEFT JOIN ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
    ON a.property_id = c.property_id
   AND a.anomaly_type = c.anomaly_type
   AND a.is_resolved = FALSE
WHERE c.run_id = %(run_id)s
GROUP BY c.anomaly_type
ORDER BY c.anomaly_type
