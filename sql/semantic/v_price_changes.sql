-- Every repricing of a listing: the old and the new price and the change, at the time it happened (event time).
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES (
    id COMMENT 'listing id',
    version COMMENT 'the listing''s version that changed the price',
    changed_at COMMENT 'event time of the repricing (UTC)',
    old_price COMMENT 'VND',
    new_price COMMENT 'VND',
    price_change COMMENT 'new_price - old_price, VND',
    price_change_pct COMMENT '100 × price_change / old_price',
    city COMMENT 'of the repriced version',
    district COMMENT 'of the repriced version',
    property_type COMMENT 'of the repriced version',
    area COMMENT 'm²',
    event_time_source COMMENT 'updated_at, kafka_timestamp or ingested_at'
) COPY GRANTS AS
SELECT h.id AS id,
       h.version AS version,
       h.valid_from AS changed_at,
       h.previous_price AS old_price,
       h.price AS new_price,
       h.price - h.previous_price AS price_change,
       h.price_change_pct AS price_change_pct,
       h.city AS city,
       h.district AS district,
       h.property_type AS property_type,
       h.area AS area,
       h.event_time_source AS event_time_source
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
WHERE h.change_type = 'repriced'
