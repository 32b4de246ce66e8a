-- Open alerts (of any type) whose listing is no longer in gold are resolved as 'LISTING_REMOVED'.
UPDATE ANALYTICS_DB.ML_RESULTS.ANOMALY_ALERTS t
SET is_resolved = TRUE,
    resolved_at = %(run_at)s::TIMESTAMP_NTZ,
    resolution = 'LISTING_REMOVED'
WHERE t.is_resolved = FALSE
  AND NOT EXISTS (SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_ML_FEATURES g WHERE g.id = t.property_id)
