-- Parse the latest version of every listing id in the pinned bronze range into SILVER_BATCH.
-- (A separate step from the MERGE: the embedded warehouse cannot run these functions inside a MERGE source.)
-- How a document becomes typed values: sql/fragments/parse_listing.sql (shared with the listing history).
INSERT INTO STAGING_DB.CLEANED.SILVER_BATCH (
    id, is_tombstone, property_type, price, area, bedrooms, bathrooms, location, city, district, latitude, longitude,
    description, posted_date, data_quality_score, quality_issues, source_shape, record_hash,
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
    JOIN STAGING_DB.CLEANED.SILVER_WATERMARK w
      ON w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
    WHERE b.kafka_offset > w.processed_offset
      AND b.kafka_offset <= w.pending_offset
    QUALIFY ROW_NUMBER() OVER (PARTITION BY b.id ORDER BY b.kafka_offset DESC, b.kafka_partition DESC) = 1
),
-- @include fragments/parse_listing
SELECT p.id AS id,
       p.is_tombstone AS is_tombstone,
       p.property_type AS property_type,
       p.price AS price,
       p.area AS area,
       p.bedrooms AS bedrooms,
       p.bathrooms AS bathrooms,
       p.location AS location,
       p.city AS city,
       p.district AS district,
       p.latitude AS latitude,
       p.longitude AS longitude,
       p.description AS description,
       p.posted_date AS posted_date,
       ROUND(CASE WHEN p.price > 0 THEN 0.2 ELSE 0 END
             + CASE WHEN p.area > 0 THEN 0.2 ELSE 0 END
             + CASE WHEN p.location IS NOT NULL THEN 0.2 ELSE 0 END
             + CASE WHEN p.bedrooms IS NOT NULL THEN 0.2 ELSE 0 END
             + CASE WHEN p.city IS NOT NULL THEN 0.2 ELSE 0 END, 1) AS data_quality_score,
       -- the failed rules, comma-separated (each carries a leading comma that SUBSTR drops)
       NULLIF(SUBSTR(CASE WHEN p.price > 0 THEN '' ELSE ',price_missing' END
                     || CASE WHEN p.area > 0 THEN '' ELSE ',area_missing' END
                     || CASE WHEN p.location IS NOT NULL THEN '' ELSE ',location_missing' END
                     || CASE WHEN p.bedrooms IS NOT NULL THEN '' ELSE ',bedrooms_missing' END
                     || CASE WHEN p.city IS NOT NULL THEN '' ELSE ',city_missing' END, 2), '') AS quality_issues,
       p.source_shape AS source_shape,
       p.record_hash AS record_hash,
       p.kafka_topic AS kafka_topic,
       p.kafka_partition AS kafka_partition,
       p.kafka_offset AS kafka_offset
FROM priced p
