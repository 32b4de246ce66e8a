-- One definition of how a bronze document becomes typed values, shared by silver (sql/silver/stage_batch.sql,
-- the latest version per listing) and the listing history (sql/gold/history_stage.sql, every version).
-- Not a statement of its own: warehouse.load_sql puts it where a file says `-- @include fragments/parse_listing`,
-- inside a WITH list after a CTE named `documents` with the columns id, raw_data (NULL for a tombstone),
-- is_tombstone, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, ingested_at. The last CTE, `priced`,
-- has one row per document with the typed fields, record_hash, source_shape and updated_at (the source's own
-- change time, NULL when the document does not say).
-- Structured documents have English keys and typed values; crawled pages have Vietnamese keys and text values
-- in Vietnamese notation ('.' groups thousands, ',' marks decimals; "3,5 tỷ", "850 triệu", "50 triệu/m²").
shaped AS (
    SELECT l.id AS id,
           l.raw_data AS raw_data,
           l.is_tombstone AS is_tombstone,
           l.kafka_topic AS kafka_topic,
           l.kafka_partition AS kafka_partition,
           l.kafka_offset AS kafka_offset,
           l.kafka_timestamp AS kafka_timestamp,
           l.ingested_at AS ingested_at,
           CASE WHEN COALESCE(l.raw_data:"Link"::VARCHAR, l.raw_data:"Tiêu đề"::VARCHAR,
                              l.raw_data:"Mức giá"::VARCHAR, l.raw_data:"Diện tích"::VARCHAR,
                              l.raw_data:"Địa chỉ"::VARCHAR, l.raw_data:"Ngày đăng"::VARCHAR) IS NOT NULL
                THEN 'crawled' ELSE 'structured' END AS source_shape
    FROM documents l
),
texts AS (
    -- every field as text with surrounding white space removed; empty text counts as missing
    SELECT s.id AS id,
           s.is_tombstone AS is_tombstone,
           s.kafka_topic AS kafka_topic,
           s.kafka_partition AS kafka_partition,
           s.kafka_offset AS kafka_offset,
           s.kafka_timestamp AS kafka_timestamp,
           s.ingested_at AS ingested_at,
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
                  ELSE s.raw_data:posted_date::VARCHAR END, '^[[:space:]]+|[[:space:]]+$', ''), '') AS posted_text,
           -- a date as text or as extended JSON (a $-date object, how the embedded MongoDB's change stream hands
           -- out a document's dates): whatever precedes the first digit or follows the last one is dropped
           NULLIF(REGEXP_REPLACE(COALESCE(s.raw_data:updated_at::VARCHAR,
                                          CASE WHEN s.source_shape = 'crawled'
                                               THEN s.raw_data:"Ngày cập nhật"::VARCHAR END),
                  '^[^0-9]+|[^0-9]+$', ''), '') AS updated_text
    FROM shaped s
),
typed AS (
    SELECT x.id AS id,
           x.is_tombstone AS is_tombstone,
           x.kafka_topic AS kafka_topic,
           x.kafka_partition AS kafka_partition,
           x.kafka_offset AS kafka_offset,
           x.kafka_timestamp AS kafka_timestamp,
           x.ingested_at AS ingested_at,
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
                    TRY_TO_DATE(x.posted_text, 'DD/MM/YYYY')) AS posted_date,
           -- when the source says the listing last changed, in UTC: ISO (as ingestion writes a MongoDB date;
           -- 'T' or a space; a fraction after the seconds ignored; a UTC offset +hh:mm / -hh:mm / +hhmm subtracted,
           -- none or Z read as UTC; also inside a $-date object) or dd/mm/yyyy [hh:mi[:ss]] (read as UTC)
           COALESCE(DATEADD(MINUTE, -x.updated_offset_minutes,
                            TRY_TO_TIMESTAMP_NTZ(REPLACE(LEFT(x.updated_text, 19), 'T', ' '), 'YYYY-MM-DD HH24:MI:SS')),
                    TRY_TO_TIMESTAMP_NTZ(x.updated_text, 'DD/MM/YYYY HH24:MI:SS'),
                    TRY_TO_TIMESTAMP_NTZ(x.updated_text, 'DD/MM/YYYY HH24:MI'),
                    TRY_TO_DATE(x.updated_text, 'YYYY-MM-DD')::TIMESTAMP_NTZ,
                    TRY_TO_DATE(x.updated_text, 'DD/MM/YYYY')::TIMESTAMP_NTZ) AS updated_at
    FROM (
        SELECT tx.*,
               REGEXP_SUBSTR(REGEXP_REPLACE(LOWER(tx.link_text), '^[a-z]+://[^/]+', ''), '[^/?#]+') AS link_segment,
               TRY_TO_DOUBLE(REPLACE(REPLACE(REGEXP_SUBSTR(tx.price_text, '[0-9][0-9.,]*'), '.', ''), ',', '.'))
                   AS price_number,
               CASE WHEN CONTAINS(LOWER(tx.price_text), 'tỷ') THEN 1e9
                    WHEN CONTAINS(LOWER(tx.price_text), 'triệu') THEN 1e6
                    WHEN CONTAINS(LOWER(tx.price_text), 'nghìn') OR CONTAINS(LOWER(tx.price_text), 'ngàn') THEN 1e3
                    WHEN REGEXP_LIKE(tx.price_text, '^[0-9][0-9.,]*$') THEN 1e0
               END AS price_unit,
               -- the UTC offset ending an ISO date-time, in minutes east of UTC (0 when there is none)
               CASE WHEN REGEXP_LIKE(tx.updated_text, '^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9]([.][0-9]+)?[+-][0-9][0-9]:?[0-9][0-9]$')
                    THEN CASE WHEN REGEXP_SUBSTR(tx.updated_text, '[+-][0-9][0-9]:?[0-9][0-9]$') LIKE '-%' THEN -1 ELSE 1 END
                         * (TO_NUMBER(SUBSTR(REGEXP_SUBSTR(tx.updated_text, '[+-][0-9][0-9]:?[0-9][0-9]$'), 2, 2)) * 60
                            + TO_NUMBER(RIGHT(REGEXP_SUBSTR(tx.updated_text, '[+-][0-9][0-9]:?[0-9][0-9]$'), 2)))
                    ELSE 0
               END AS updated_offset_minutes
        FROM texts tx
    ) x
),
priced AS (
    SELECT y.*,
           CASE WHEN y.price_is_per_sqm THEN y.price_amount * y.area ELSE y.price_amount END AS price
    FROM typed y
)
