-- The newest loaded_at in the history (the sensor's cursor), how many versions were loaded after the cursor,
-- and how many after where the sensor looks for late versions (an overlap before the cursor).
SELECT MAX(loaded_at) AS loaded_through,
       COUNT_IF(loaded_at > %(loaded_after)s::TIMESTAMP_NTZ) AS new_versions,
       COUNT_IF(loaded_at > %(scan_from)s::TIMESTAMP_NTZ) AS scanned_versions
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY
