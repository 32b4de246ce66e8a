-- The lateness (days) the pulse of one event day was built with: one value per day, NULL when it has no rows.
SELECT MIN(lateness_days) AS lateness_days, MAX(lateness_days) AS max_lateness_days, COUNT(*) AS pulse_rows
FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
WHERE event_day = %(event_day)s::DATE
