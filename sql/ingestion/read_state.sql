SELECT phase AS phase,
       snapshot_last_id AS snapshot_last_id,
       resume_token AS resume_token,
       watermark_value AS watermark_value,
       documents_sent AS documents_sent,
       resnapshot_reason AS resnapshot_reason
FROM RAW_DB.LANDING.INGESTION_STATE
WHERE source_name = %(source_name)s AND kafka_topic = %(kafka_topic)s
