-- The semantic views that exist now: a view whose definition did not change is re-created only when missing.
SELECT v.table_catalog || '.' || v.table_schema || '.' || v.table_name AS name
FROM ANALYTICS_DB.INFORMATION_SCHEMA.VIEWS v
WHERE v.table_schema = 'SEMANTIC'
