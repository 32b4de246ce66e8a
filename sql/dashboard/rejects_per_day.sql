-- Messages bronze could not parse, per day they were rejected (UTC) since a time.
SELECT r.rejected_at::DATE AS rejected_day,
       COUNT(*) AS rejects
FROM RAW_DB.LANDING.BRONZE_REJECTS r
WHERE r.rejected_at >= %(since)s
GROUP BY r.rejected_at::DATE
ORDER BY rejected_day
