-- The last version before this run of each listing that got a newer one: closed at the first new version.
UPDATE ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
SET valid_to = b.valid_to, is_current = FALSE
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH b
WHERE NOT b.is_new
  AND b.id = h.id
  AND b.version = h.version
  AND h.valid_to IS NULL
