-- Open alerts whose listing is not in gold, and (property_id, anomaly_type) pairs with more than one open alert.
SELECT (SELECT COUNT(*)
        FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
        WHERE a.is_resolved = FALSE
          AND NOT EXISTS (SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g WHERE g.id = a.property_id))
           AS orphan_alerts,
       (SELECT COUNT(*)
        FROM (SELECT a.property_id AS property_id, a.anomaly_type AS anomaly_type
              FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
              WHERE a.is_resolved = FALSE
              GROUP BY a.property_id, a.anomaly_type
              HAVING COUNT(*) > 1) d) AS duplicated_open_pairs,
       (SELECT COUNT(*) FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a WHERE a.is_resolved = FALSE) AS open_alerts
