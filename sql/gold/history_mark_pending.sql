-- Pin the range this run reads: bronze up to where silver has merged, per partition. Bronze rows never change,
-- so the history then holds exactly the versions of the messages silver has seen, and its current versions
-- agree with silver (the history asset runs after silver); later messages wait for the next run.
UPDATE ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS w
SET pending_offset = s.processed_offset, updated_at = SYSDATE()
FROM STAGING_DB.CLEANED.SILVER_WATERMARK s
WHERE w.kafka_topic = s.kafka_topic
  AND w.kafka_partition = s.kafka_partition
  AND s.processed_offset > w.processed_offset
