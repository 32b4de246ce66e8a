-- Open alerts of the types this run evaluated that it did not detect again, whose listing is still in gold,
-- are resolved as 'NO_LONGER_ANOMALOUS' (kept, never deleted). resolve_removed.sql handles listings that left gold.
UPDATE ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS t
SET is_resolved = TRUE,
    resolved_at = %(run_at)s::TIMESTAMP_NTZ,
    resolution = 'NO_LONGER_ANOMALOUS'
WHERE t.is_resolved = FALSE
  AND t.anomaly_type IN (%(anomaly_types)s)
  AND EXISTS (SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g WHERE g.id = t.property_id)
  AND NOT EXISTS (
      SELECT 1
      FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES c
      WHERE c.run_id = %(run_id)s
        AND c.property_id = t.property_id
        AND c.anomaly_type = t.anomaly_type
  )
