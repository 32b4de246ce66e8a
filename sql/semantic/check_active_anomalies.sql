-- V_ACTIVE_ANOMALIES should show every open alert (NOT is_resolved) once, with its gold listing. Its inner join
-- hides an open alert whose listing left gold, and shows an alert twice when its listing id is in gold twice.
SELECT (SELECT COUNT(*) FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a WHERE NOT a.is_resolved) AS open_alerts,
       (SELECT COUNT(*)
        FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
        WHERE NOT a.is_resolved
          AND NOT EXISTS (SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES f WHERE f.id = a.property_id))
           AS open_alerts_without_listing
