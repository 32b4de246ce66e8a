-- The partition of one event day, removed before it is built again (in the same transaction).
DELETE FROM ANALYTICS_DB.DWH.GOLD_MARKET_PULSE
WHERE event_day = %(event_day)s::DATE
