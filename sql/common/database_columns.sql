-- Every column of every table and view in one database, to add the declared columns an existing table lacks
-- (lib/tables.add_missing_columns). {database} is one of our three databases (from sql/setup/), never input.
SELECT table_schema, table_name, column_name
FROM {database}.INFORMATION_SCHEMA.COLUMNS
