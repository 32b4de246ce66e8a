-- Parse the latest version of every listing id in the pinned bronze range into SILVER_BATCH.
-- (A separate step from the MERGE: the embedded warehouse cannot run these functions inside a MERGE source.)
-- Structured documents have English keys and typed values; crawled pages have Vietnamese keys and text values
-- in Vietnamese notation ('.' groups thousands, ',' marks decimals; "3,5 tỷ", "850 triệu", "50 triệu/m²").
INSERT INTO STAGING_DB.CLEANED.SILVER_BATCH (
    id, is_tombstone, property_type, price, area, bedrooms, bathrooms, location, city, district, latitude, longitude,
    description, posted_date, data_quality_score, quality_issues, source_shape, record_hash,
    kafka_topic, kafka_partition, kafka_offset
)
WITH latest AS (
    SELECT b.id AS id,
           b.raw_data AS raw_data,
           CASE WHEN b.op = 'd' OR b.raw_data IS NULL THEN TRUE ELSE FALSE END AS is_tombstone,
           b.kafka_topic AS kafka_topic,
           b.kafka_partition AS kafka_partition,
           b.kafka_offset AS kafka_offset
    FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE b
    JOIN STAGING_DB.CLEANED.SILVER_WATERMARK w
      ON w.kafka_topic = b.kafka_topic AND w.kafka_partition = b.kafka_partition
    WHERE b.kafka_offset > w.processed_offset
      AND b.kafka_offset <= w.pending_offset
    QUALIFY ROW_NUMBER() OVER (PARTITION BY b.id ORDER BY b.kafka_offset DESC, b.kafka_partition DESC) = 1
),
shaped AS (
    SELECT l.id AS id,
           l.raw_data AS raw_data,
           l.is_tombstone AS is_tombstone,
           l.kafka_topic AS kafka_topic,
           l.kafka_partition AS kafka_partition,
           l.kafka_offset AS kafka_offset,
           CASE WHEN COALESCE(l.raw_data:"Link"::VARCHAR, l.raw_data:"Tiêu đề"::VARCHAR,
                              l.raw_data:"Mức giá"::VARCHAR, l.raw_data:"Diện tích"::VARCHAR,
                              l.raw_data:"Địa chỉ"::VARCHAR, l.raw_data:"Ngày đăng"::VARCHAR) IS NOT NULL
                THEN 'crawled' ELSE 'structured' END AS source_shape
    FROM latest l
),
texts AS (
    -- every field as text with surrounding white space removed; empty text counts as missing
    SELECT s.id AS id,
           s.is_tombstone AS is_tombstone,
           s.kafka_topic AS kafka_topic,
           s.kafka_partition AS kafka_partition,
           s.kafka_offset AS kafka_offset,
           s.source_shape AS source_shape,
           MD5(s.raw_data::VARCHAR) AS record_hash,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Link"::VARCHAR
                  END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS link_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'structured' THEN s.raw_data:property_type::VARCHAR
                  END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS property_type_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Mức giá"::VARCHAR
                  ELSE s.raw_data:price::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS price_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Diện tích"::VARCHAR
                  ELSE s.raw_data:area::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS area_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Số phòng ngủ"::VARCHAR
                  ELSE s.raw_data:bedrooms::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS bedrooms_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Số toilet"::VARCHAR
                  ELSE s.raw_data:bathrooms::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS bathrooms_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Địa chỉ"::VARCHAR
                  ELSE s.raw_data:location::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS location_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'structured' THEN s.raw_data:city::VARCHAR
                  END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS city_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Huyện"::VARCHAR
                  ELSE s.raw_data:district::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS district_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Latitude"::VARCHAR
                  ELSE s.raw_data:latitude::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS latitude_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Longitude"::VARCHAR
                  ELSE s.raw_data:longitude::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS longitude_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Tiêu đề"::VARCHAR
                  ELSE s.raw_data:description::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS description_text,
           NULLIF(REGEXP_REPLACE(CASE WHEN s.source_shape = 'crawled' THEN s.raw_data:"Ngày đăng"::VARCHAR
                  ELSE s.raw_data:posted_date::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS posted_text
    FROM shaped s
),
typed AS (
    SELECT x.id AS id,
           x.is_tombstone AS is_tombstone,
           x.kafka_topic AS kafka_topic,
           x.kafka_partition AS kafka_partition,
           x.kafka_offset AS kafka_offset,
           x.source_shape AS source_shape,
           x.record_hash AS record_hash,
           CASE WHEN x.source_shape = 'structured' THEN x.property_type_text
                WHEN x.link_text IS NULL THEN NULL
                ELSE CASE
                    WHEN STARTSWITH(x.link_segment, 'ban-can-ho') THEN 'Căn hộ'
                    WHEN STARTSWITH(x.link_segment, 'ban-nha') THEN 'Nhà'
                    WHEN STARTSWITH(x.link_segment, 'ban-dat') THEN 'Đất'
                    WHEN STARTSWITH(x.link_segment, 'ban-biet-thu') THEN 'Biệt thự'
                    ELSE 'Khác' END
           END AS property_type,
           CASE WHEN x.source_shape = 'structured' THEN TRY_TO_DOUBLE(x.price_text)
                ELSE x.price_number * x.price_unit END AS price_amount,
           CASE WHEN x.source_shape = 'crawled' AND CONTAINS(LOWER(x.price_text), '/m') THEN TRUE
                ELSE FALSE END AS price_is_per_sqm,
           CASE WHEN x.source_shape = 'structured' THEN TRY_TO_DOUBLE(x.area_text)
                ELSE TRY_TO_DOUBLE(REPLACE(REPLACE(REGEXP_SUBSTR(x.area_text, '[0-9][0-9.,]*'), '.', ''), ',', '.'))
           END AS area,
           CASE WHEN x.source_shape = 'structured' THEN ROUND(TRY_TO_DOUBLE(x.bedrooms_text))::INTEGER
                ELSE TRY_TO_NUMBER(REGEXP_SUBSTR(x.bedrooms_text, '[0-9]+'))::INTEGER END AS bedrooms,
           CASE WHEN x.source_shape = 'structured' THEN ROUND(TRY_TO_DOUBLE(x.bathrooms_text))::INTEGER
                ELSE TRY_TO_NUMBER(REGEXP_SUBSTR(x.bathrooms_text, '[0-9]+'))::INTEGER END AS bathrooms,
           x.location_text AS location,
           CASE WHEN x.source_shape = 'structured' THEN x.city_text
                ELSE NULLIF(REGEXP_REPLACE(SPLIT_PART(x.location_text, ',', -1), '^[[:space:]]+|[[:space:]]+$', ''), '')
           END AS city,
           x.district_text AS district,
           TRY_TO_DOUBLE(REPLACE(x.latitude_text, ',', '.')) AS latitude,
           TRY_TO_DOUBLE(REPLACE(x.longitude_text, ',', '.')) AS longitude,
           x.description_text AS description,
           COALESCE(TRY_TO_DATE(LEFT(x.posted_text, 10), 'YYYY-MM-DD'),
                    TRY_TO_DATE(x.posted_text, 'DD/MM/YYYY')) AS posted_date
    FROM (
        SELECT tx.*,
               REGEXP_SUBSTR(REGEXP_REPLACE(LOWER(tx.link_text), '^[a-z]+://[^/]+', ''), '[^/?#]+') AS link_segment,
               TRY_TO_DOUBLE(REPLACE(REPLACE(REGEXP_SUBSTR(tx.price_text, '[0-9][0-9.,]*'), '.', ''), ',', '.'))
                   AS price_number,
               CASE WHEN CONTAINS(LOWER(tx.price_text), 'tỷ') THEN 1e9
                    WHEN CONTAINS(LOWER(tx.price_text), 'triệu') THEN 1e6
                    WHEN CONTAINS(LOWER(tx.price_text), 'nghìn') OR CONTAINS(LOWER(tx.price_text), 'ngàn') THEN 1e3
                    WHEN REGEXP_LIKE(tx.price_text, '^[0-9][0-9.,]*$') THEN 1e0
               END AS price_unit
        FROM texts tx
    ) x
),
priced AS (
    SELECT y.*,
           CASE WHEN y.price_is_per_sqm THEN y.price_amount * y.area ELSE y.price_amount END AS price
    FROM typed y
)
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
