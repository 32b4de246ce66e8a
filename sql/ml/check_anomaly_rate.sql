-- Listings with at least one open alert, against the gold population.
SELECT (SELECT COUNT(DISTINCT a.property_id)
        FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS a
        WHERE a.is_resolved = FALSE) AS flagged_listings,
       (SELECT COUNT(*) FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g WHERE g.id IS NOT NULL AND g.price > 0)
           AS gold_rows
