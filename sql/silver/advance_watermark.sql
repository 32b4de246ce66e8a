UPDATE STAGING_DB.CLEANED.SILVER_WATERMARK
SET processed_offset = pending_offset, updated_at = CURRENT_TIMESTAMP()
WHERE pending_offset > processed_offset
