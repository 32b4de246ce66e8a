-- How many repricings since a time went down, up, or nowhere (a change of type without a price change).
SELECT COUNT(*) AS changes,
       COUNT_IF(c.price_change < 0) AS drops,
       COUNT_IF(c.price_change > 0) AS rises,
       MAX(c.changed_at) AS latest_change
FROM ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES c
WHERE c.changed_at >= %(since)s
