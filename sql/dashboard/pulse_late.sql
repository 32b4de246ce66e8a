-- Late changes left out of the pulse (they arrived after their day had closed), per event day and kind of change.
SELECT l.event_day AS event_day,
       l.change_type AS change_type,
       COUNT(*) AS late_changes
FROM ANALYTICS_DB.DWH.GOLD_PULSE_LATE_CHANGES l
WHERE l.event_day >= %(since)s
GROUP BY l.event_day, l.change_type
ORDER BY event_day, change_type
