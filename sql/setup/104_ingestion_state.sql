-- Change-data-capture cursor of the Mongo -> Kafka ingestion, advanced only after the broker acknowledged a batch.
-- phase: snapshot (keyset paging by _id from snapshot_last_id), stream (change stream from resume_token)
-- or watermark (documents whose watermark field is newer than watermark_value).
-- resnapshot_reason: why the running snapshot was started again (e.g. the change stream lost the stored token).
-- While set, the end of the snapshot sends a tombstone for every id the warehouse holds as live that MongoDB no
-- longer has; cleared with the switch to the change stream.
CREATE TABLE IF NOT EXISTS RAW_DB.LANDING.INGESTION_STATE (
    source_name VARCHAR,
    kafka_topic VARCHAR,
    phase VARCHAR,
    snapshot_last_id VARCHAR,
    resume_token VARCHAR,
    watermark_value VARCHAR,
    documents_sent BIGINT,
    updated_at TIMESTAMP_NTZ,
    resnapshot_reason VARCHAR
)
