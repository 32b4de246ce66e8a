-- The new versions of the listings in the pinned bronze range, into GOLD_LISTING_HISTORY_BATCH (is_new), with
-- each such listing's last version so far (NOT is_new) and the valid_to / is_current it gets now.
-- Per listing the messages are taken in Kafka order (a listing's key keeps it in one partition, so offset order
-- is the order of its changes), after the last version already stored. A message whose tracked values (the
-- typed fields silver keeps) equal those of the version before it is a re-send, not a version; a tombstone
-- for a listing with no live version before it has nothing to delist.
-- valid_from is the event time (the document's updated_at, else the Kafka message time, which ingestion sets
-- to the change stream's cluster time, else the bronze arrival), never earlier than the version before it, so
-- that a listing's versions neither overlap nor leave a gap: valid_to is the next version's valid_from.
-- A delisted version carries the last known price, area, city, district and property type.
INSERT INTO ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_BATCH (
    id, is_new, version, valid_from, valid_to, is_current, change_type, price, previous_price, price_change_pct,
    area, price_per_sqm, city, district, property_type, event_time_source, arrived_at, version_hash,
    kafka_topic, kafka_partition, kafka_offset
)
WITH documents AS (
    SELECT b.id AS id,
           b.raw_data AS raw_data,
           CASE WHEN b.op = 'd' OR b.raw_data IS NULL THEN TRUE ELSE FALSE END AS is_tombstone,
           b.kafka_topic AS kafka_topic,
           b.kafka_partition AS kafka_partition,
           b.kafka_offset AS kafka_offset,
           b.kafka_timestamp AS kafka_timestamp,
           b.ingested_at AS ingested_at
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    JOIN ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY_POSITIONS w
      ON w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
    WHERE b.kafka_offset > w.processed_offset
      AND b.kafka_offset <= w.pending_offset
),
-- @include fragments/parse_listing
, incoming AS (
    SELECT p.id AS id,
           1 AS stage,
           CAST(NULL AS INTEGER) AS prior_version,
           p.is_tombstone AS is_tombstone,
           p.price AS price,
           p.area AS area,
           p.city AS city,
           p.district AS district,
           p.property_type AS property_type,
           CASE WHEN p.is_tombstone THEN 'delisted'
                ELSE
-- @include fragments/version_hash
           END AS version_hash,
           COALESCE(p.updated_at, p.kafka_timestamp, p.ingested_at) AS event_time,
           CASE WHEN p.updated_at IS NOT NULL THEN 'updated_at'
                WHEN p.kafka_timestamp IS NOT NULL THEN 'kafka_timestamp'
                ELSE 'ingested_at' END AS event_time_source,
           p.ingested_at AS arrived_at,
           p.kafka_topic AS kafka_topic,
           p.kafka_partition AS kafka_partition,
           p.kafka_offset AS kafka_offset
    FROM priced p
),
sequence AS (
    -- the last stored version of each listing in the range (valid_to is NULL only there; it may be a delisting)
    SELECT h.id AS id,
           0 AS stage,
           h.version AS prior_version,
           CASE WHEN h.change_type = 'delisted' THEN TRUE ELSE FALSE END AS is_tombstone,
           h.price AS price,
           h.area AS area,
           h.city AS city,
           h.district AS district,
           h.property_type AS property_type,
           h.version_hash AS version_hash,
           h.valid_from AS event_time,
           h.event_time_source AS event_time_source,
           h.arrived_at AS arrived_at,
           h.kafka_topic AS kafka_topic,
           h.kafka_partition AS kafka_partition,
           h.kafka_offset AS kafka_offset
    FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
    WHERE h.valid_to IS NULL
      AND EXISTS (SELECT 1 FROM documents d WHERE d.id = h.id)
    UNION ALL
    SELECT i.id AS id,
           i.stage AS stage,
           i.prior_version AS prior_version,
           i.is_tombstone AS is_tombstone,
           i.price AS price,
           i.area AS area,
           i.city AS city,
           i.district AS district,
           i.property_type AS property_type,
           i.version_hash AS version_hash,
           i.event_time AS event_time,
           i.event_time_source AS event_time_source,
           i.arrived_at AS arrived_at,
           i.kafka_topic AS kafka_topic,
           i.kafka_partition AS kafka_partition,
           i.kafka_offset AS kafka_offset
    FROM incoming i
),
compared AS (
    SELECT s.*,
           LAG(s.version_hash) OVER (PARTITION BY s.id ORDER BY s.stage, s.kafka_offset, s.kafka_partition)
               AS before_hash
    FROM sequence s
),
kept AS (
    -- a row equal to the one before it equals the last kept version (by induction), so it is a re-send
    SELECT c.*
    FROM compared c
    WHERE c.stage = 0
       OR (c.version_hash IS DISTINCT FROM c.before_hash AND NOT (c.is_tombstone AND c.before_hash IS NULL))
),
carried AS (
    SELECT k.id AS id,
           k.stage AS stage,
           k.prior_version AS prior_version,
           k.is_tombstone AS is_tombstone,
           k.version_hash AS version_hash,
           k.event_time AS event_time,
           k.event_time_source AS event_time_source,
           k.arrived_at AS arrived_at,
           k.kafka_topic AS kafka_topic,
           k.kafka_partition AS kafka_partition,
           k.kafka_offset AS kafka_offset,
           CASE WHEN k.stage = 1 AND k.is_tombstone
                THEN LAG(k.price) OVER (PARTITION BY k.id ORDER BY k.stage, k.kafka_offset, k.kafka_partition)
                ELSE k.price END AS price,
           CASE WHEN k.stage = 1 AND k.is_tombstone
                THEN LAG(k.area) OVER (PARTITION BY k.id ORDER BY k.stage, k.kafka_offset, k.kafka_partition)
                ELSE k.area END AS area,
           CASE WHEN k.stage = 1 AND k.is_tombstone
                THEN LAG(k.city) OVER (PARTITION BY k.id ORDER BY k.stage, k.kafka_offset, k.kafka_partition)
                ELSE k.city END AS city,
           CASE WHEN k.stage = 1 AND k.is_tombstone
                THEN LAG(k.district) OVER (PARTITION BY k.id ORDER BY k.stage, k.kafka_offset, k.kafka_partition)
                ELSE k.district END AS district,
           CASE WHEN k.stage = 1 AND k.is_tombstone
                THEN LAG(k.property_type) OVER (PARTITION BY k.id ORDER BY k.stage, k.kafka_offset, k.kafka_partition)
                ELSE k.property_type END AS property_type
    FROM kept k
),
versioned AS (
    SELECT c.*,
           LAG(c.is_tombstone) OVER (PARTITION BY c.id ORDER BY c.stage, c.kafka_offset, c.kafka_partition)
               AS before_tombstone,
           LAG(c.price) OVER (PARTITION BY c.id ORDER BY c.stage, c.kafka_offset, c.kafka_partition)
               AS before_price,
           ROW_NUMBER() OVER (PARTITION BY c.id ORDER BY c.stage, c.kafka_offset, c.kafka_partition) AS position,
           COUNT(*) OVER (PARTITION BY c.id) AS positions,
           COALESCE(MAX(c.prior_version) OVER (PARTITION BY c.id), 1) AS first_version,
           MAX(c.event_time) OVER (PARTITION BY c.id ORDER BY c.stage, c.kafka_offset, c.kafka_partition
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS valid_from
    FROM carried c
),
bounded AS (
    SELECT v.*,
           LEAD(v.valid_from) OVER (PARTITION BY v.id ORDER BY v.position) AS valid_to
    FROM versioned v
)
SELECT b.id AS id,
       CASE WHEN b.stage = 1 THEN TRUE ELSE FALSE END AS is_new,
       b.first_version + b.position - 1 AS version,
       b.valid_from AS valid_from,
       b.valid_to AS valid_to,
       CASE WHEN b.position = b.positions AND NOT b.is_tombstone THEN TRUE ELSE FALSE END AS is_current,
       CASE WHEN b.before_tombstone IS NULL THEN 'listed'
            WHEN b.is_tombstone THEN 'delisted'
            WHEN b.before_tombstone THEN 'relisted'
            WHEN b.price IS DISTINCT FROM b.before_price THEN 'repriced'
            ELSE 'changed' END AS change_type,
       b.price AS price,
       b.before_price AS previous_price,
       ROUND(100 * (b.price - b.before_price) / NULLIF(b.before_price, 0), 4) AS price_change_pct,
       b.area AS area,
       CASE WHEN b.area > 0 THEN b.price / b.area END AS price_per_sqm,
       b.city AS city,
       b.district AS district,
       b.property_type AS property_type,
       b.event_time_source AS event_time_source,
       b.arrived_at AS arrived_at,
       b.version_hash AS version_hash,
       b.kafka_topic AS kafka_topic,
       b.kafka_partition AS kafka_partition,
       b.kafka_offset AS kafka_offset
FROM bounded b
WHERE b.stage = 1 OR b.position < b.positions
