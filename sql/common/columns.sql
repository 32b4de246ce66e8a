-- {database} is one of our three databases (validated), never input.
SELECT column_name AS name, data_type AS type, comment AS description
FROM {database}.INFORMATION_SCHEMA.COLUMNS
WHERE table_schema = %(schema)s AND table_name = %(table)s
ORDER BY ordinal_position
