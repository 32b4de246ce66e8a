-- The current version of each listing whose version_hash is still in the form written before hashes got explicit
-- formats (MD5, 32 characters, of text that followed session settings and the engine's float text) gets the hash
-- of sql/fragments/version_hash (SHA-256, 64 characters), computed from the bronze message that made the version.
-- The next messages are compared with the current version only, so a listing re-sent unchanged stays one version
-- instead of gaining a spurious 'changed' one. Idempotent, and a no-op once no 32-character hash is current
-- (lib/history.py runs it before staging new versions). Older versions keep their hashes: nothing compares them.
UPDATE ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY t
SET version_hash = rehashed.version_hash
FROM (
    WITH documents AS (
        SELECT b.id AS id,
               b.raw_data AS raw_data,
               FALSE AS is_tombstone,
               b.kafka_topic AS kafka_topic,
               b.kafka_partition AS kafka_partition,
               b.kafka_offset AS kafka_offset,
               b.kafka_timestamp AS kafka_timestamp,
               b.ingested_at AS ingested_at
        FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
        JOIN ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY c
          ON c.kafka_topic = b.kafka_topic AND c.kafka_partition = b.kafka_partition AND c.kafka_offset = b.kafka_offset
        WHERE c.valid_to IS NULL
          AND LENGTH(c.version_hash) = 32
          AND b.raw_data IS NOT NULL
    ),
-- @include fragments/parse_listing
    SELECT p.id AS id,
           p.kafka_topic AS kafka_topic,
           p.kafka_partition AS kafka_partition,
           p.kafka_offset AS kafka_offset,
-- @include fragments/version_hash
               AS version_hash
    FROM priced p
) rehashed
WHERE t.id = rehashed.id
  AND t.kafka_topic = rehashed.kafka_topic
  AND t.kafka_partition = rehashed.kafka_partition
  AND t.kafka_offset = rehashed.kafka_offset
  AND t.valid_to IS NULL
  AND LENGTH(t.version_hash) = 32
