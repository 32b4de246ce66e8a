UPDATE STAGING_DB.CLEANED.SILVER_WATERMARK
SET processed_offset = pending_offset, updated_at = SYSDATE()
WHERE pending_offset > processed_offset
