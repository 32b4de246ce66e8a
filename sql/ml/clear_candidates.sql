-- This run's working rows, and any a crashed run left behind more than a day ago.
DELETE FROM ANALYTICS_DB.ML_RESULTS.ANOMALY_CANDIDATES
WHERE run_id = %(run_id)s
   OR created_at < DATEADD(day, -1, %(run_at)s::TIMESTAMP_NTZ)
