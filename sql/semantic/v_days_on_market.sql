-- Per listing: when it was first listed, when it was delisted (NULL while active), how many days it has been
-- on the market (the time its versions were live, up to now for an active one; a delisted stretch before a
-- relisting does not count), how often its price changed and by how much from the first price to the last.
-- City, district and property type are those of the last version.
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET (
    id COMMENT 'listing id',
    city COMMENT 'of the last version',
    district COMMENT 'of the last version',
    property_type COMMENT 'of the last version',
    first_listed_at COMMENT 'valid_from of version 1',
    delisted_at COMMENT 'when the last version is a delisting; NULL while active',
    is_active COMMENT 'the listing has a current version',
    days_on_market COMMENT 'days its versions were live (an active one up to now), 2 decimals',
    price_changes COMMENT 'repricings',
    first_price COMMENT 'VND, version 1',
    last_price COMMENT 'VND, the last version (the last known price when delisted)',
    total_change_pct COMMENT '100 × (last_price - first_price) / first_price'
) COPY GRANTS AS
WITH versions AS (
    SELECT h.id AS id,
           h.version AS version,
           h.change_type AS change_type,
           h.valid_from AS valid_from,
           h.valid_to AS valid_to,
           h.price AS price,
           h.city AS city,
           h.district AS district,
           h.property_type AS property_type,
           ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY h.version DESC) AS from_last
    FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
),
listings AS (
    SELECT v.id AS id,
           MAX(CASE WHEN v.from_last = 1 THEN v.city END) AS city,
           MAX(CASE WHEN v.from_last = 1 THEN v.district END) AS district,
           MAX(CASE WHEN v.from_last = 1 THEN v.property_type END) AS property_type,
           MIN(v.valid_from) AS first_listed_at,
           MAX(CASE WHEN v.from_last = 1 AND v.change_type = 'delisted' THEN v.valid_from END) AS delisted_at,
           COUNT_IF(v.from_last = 1 AND v.change_type <> 'delisted') AS active_versions,
           SUM(CASE WHEN v.change_type <> 'delisted'
                    THEN DATEDIFF('second', v.valid_from, COALESCE(v.valid_to, SYSDATE())) ELSE 0 END) AS live_seconds,
           COUNT_IF(v.change_type = 'repriced') AS price_changes,
           MAX(CASE WHEN v.version = 1 THEN v.price END) AS first_price,
           MAX(CASE WHEN v.from_last = 1 THEN v.price END) AS last_price
    FROM versions v
    GROUP BY v.id
)
SELECT l.id AS id,
       l.city AS city,
       l.district AS district,
       l.property_type AS property_type,
       l.first_listed_at AS first_listed_at,
       l.delisted_at AS delisted_at,
       CASE WHEN l.active_versions > 0 THEN TRUE ELSE FALSE END AS is_active,
       ROUND(l.live_seconds / 86400.0, 2)::FLOAT AS days_on_market,
       l.price_changes::INTEGER AS price_changes,
       l.first_price AS first_price,
       l.last_price AS last_price,
       ROUND(100 * (l.last_price - l.first_price) / NULLIF(l.first_price, 0), 4) AS total_change_pct
FROM listings l
