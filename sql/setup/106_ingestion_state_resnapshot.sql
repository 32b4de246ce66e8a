-- Added after 104: why the running snapshot was started again (e.g. the change stream lost the stored
-- token). While set, the end of the snapshot sends a tombstone for every id the warehouse holds as live
-- that MongoDB no longer has; cleared with the switch to the change stream. Safe on a table that has it.
ALTER TABLE RAW_DB.LANDING.INGESTION_STATE ADD COLUMN IF NOT EXISTS resnapshot_reason VARCHAR
