MERGE INTO RAW_DB.LANDING.INGESTION_STATE AS t
USING (
    SELECT %(source_name)s AS source_name,
           %(kafka_topic)s AS kafka_topic,
           %(phase)s AS phase,
           %(snapshot_last_id)s AS snapshot_last_id,
           %(resume_token)s AS resume_token,
           %(watermark_value)s AS watermark_value,
           %(documents_sent)s AS documents_sent,
           %(resnapshot_reason)s AS resnapshot_reason
) AS s
ON t.source_name = s.source_name AND t.kafka_topic = s.kafka_topic
WHEN MATCHED THEN UPDATE SET
    phase = s.phase,
    snapshot_last_id = s.snapshot_last_id,
    resume_token = s.resume_token,
    watermark_value = s.watermark_value,
    documents_sent = s.documents_sent,
    resnapshot_reason = s.resnapshot_reason,
    updated_at = SYSDATE()
WHEN NOT MATCHED THEN INSERT
    (source_name, kafka_topic, phase, snapshot_last_id, resume_token, watermark_value, documents_sent,
     resnapshot_reason, updated_at)
VALUES
    (s.source_name, s.kafka_topic, s.phase, s.snapshot_last_id, s.resume_token, s.watermark_value, s.documents_sent,
     s.resnapshot_reason, SYSDATE())
