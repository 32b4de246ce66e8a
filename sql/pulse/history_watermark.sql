-- The newest loaded_at in the history (the sensor's cursor), and how many versions were loaded after the cursor.
SELECT MAX(loaded_at) AS loaded_through,
       COUNT_IF(loaded_at > %(loaded_after)s::TIMESTAMP_NTZ) AS new_versions
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY
