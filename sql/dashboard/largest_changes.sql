-- The largest repricings since a time in one direction: direction 1 gives the drops (most negative percent
-- first), -1 the rises (largest first). From V_PRICE_CHANGES, at the time the change happened (event time).
SELECT c.id AS id,
       c.changed_at AS changed_at,
       c.old_price AS old_price,
       c.new_price AS new_price,
       c.price_change AS price_change,
       c.price_change_pct AS price_change_pct,
       c.city AS city,
       c.district AS district,
       c.property_type AS property_type,
       c.area AS area
FROM ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES c
WHERE c.changed_at >= %(since)s
  AND c.price_change * %(direction)s < 0
ORDER BY c.price_change_pct * %(direction)s, c.id
LIMIT %(limit)s
