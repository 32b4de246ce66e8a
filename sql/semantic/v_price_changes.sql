-- Every repricing of a listing: the old and the new price and the change, at the time it happened (event time).
CREATE OR REPLACE VIEW ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES COPY GRANTS AS
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
