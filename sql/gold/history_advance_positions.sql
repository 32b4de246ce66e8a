UPDATE ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS
SET processed_offset = pending_offset, updated_at = SYSDATE()
WHERE pending_offset > processed_offset
