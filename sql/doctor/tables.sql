SELECT table_schema AS table_schema, table_name AS table_name FROM {database}.INFORMATION_SCHEMA.TABLES
