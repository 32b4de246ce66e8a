-- The tables of our schemas that exist now (one cheap read of the INFORMATION_SCHEMA of each database): what
-- warehouse_schema compares with the tables sql/setup/ declares before it skips its DDL. A database that does
-- not exist fails this statement, which counts as "missing".
SELECT t.table_catalog || '.' || t.table_schema || '.' || t.table_name AS name
FROM RAW_DB.INFORMATION_SCHEMA.TABLES t
WHERE t.table_schema = 'LANDING'
UNION ALL
SELECT t.table_catalog || '.' || t.table_schema || '.' || t.table_name AS name
FROM STAGING_DB.INFORMATION_SCHEMA.TABLES t
WHERE t.table_schema = 'CLEANED'
UNION ALL
SELECT t.table_catalog || '.' || t.table_schema || '.' || t.table_name AS name
FROM ANALYTICS_DB.INFORMATION_SCHEMA.TABLES t
WHERE t.table_schema IN ('DWH', 'ML_RESULTS')
