-- The new versions of this run. A version already there (same listing and version: a run whose positions did
-- not move after its insert, on a warehouse without transactions around it) is not added twice.
INSERT INTO ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY (
    id, version, valid_from, valid_to, is_current, change_type, price, previous_price, price_change_pct, area,
    price_per_sqm, city, district, property_type, event_time_source, arrived_at, version_hash,
    kafka_topic, kafka_partition, kafka_offset, loaded_at
)
SELECT b.id AS id,
       b.version AS version,
       b.valid_from AS valid_from,
       b.valid_to AS valid_to,
       b.is_current AS is_current,
       b.change_type AS change_type,
       b.price AS price,
       b.previous_price AS previous_price,
       b.price_change_pct AS price_change_pct,
       b.area AS area,
       b.price_per_sqm AS price_per_sqm,
       b.city AS city,
       b.district AS district,
       b.property_type AS property_type,
       b.event_time_source AS event_time_source,
       b.arrived_at AS arrived_at,
       b.version_hash AS version_hash,
       b.kafka_topic AS kafka_topic,
       b.kafka_partition AS kafka_partition,
       b.kafka_offset AS kafka_offset,
       SYSDATE() AS loaded_at
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH b
WHERE b.is_new
  AND NOT EXISTS (
      SELECT 1 FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h WHERE h.id = b.id AND h.version = b.version
  )
