-- What the pinned range holds (bronze rows never change, so this is the same before and after the run).
SELECT COUNT(*) AS messages_in,
       COUNT(DISTINCT b.id) AS ids_in,
       COUNT_IF(b.op = 'd' OR b.raw_data IS NULL) AS tombstones_in
FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
JOIN ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS w
  ON w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
WHERE b.kafka_offset > w.processed_offset
  AND b.kafka_offset <= w.pending_offset
