-- The ten latest changes (not first listings) for the asset's page.
SELECT h.id AS id,
       h.version AS version,
       h.change_type AS change_type,
       h.valid_from AS valid_from,
       h.previous_price AS previous_price,
       h.price AS price,
       h.price_change_pct AS price_change_pct,
       h.city AS city
FROM ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY h
WHERE h.change_type <> 'listed'
ORDER BY h.valid_from DESC, h.id
LIMIT 10
