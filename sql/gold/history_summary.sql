-- The listing history as a whole: versions, listings, current versions, versions per change type.
SELECT COUNT(*) AS history_rows,
       COUNT(DISTINCT h.id) AS listings,
       COUNT_IF(h.is_current) AS current_versions,
       COUNT_IF(h.change_type = 'listed') AS listed,
       COUNT_IF(h.change_type = 'repriced') AS repriced,
       COUNT_IF(h.change_type = 'changed') AS changed,
       COUNT_IF(h.change_type = 'delisted') AS delisted,
       COUNT_IF(h.change_type = 'relisted') AS relisted
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
