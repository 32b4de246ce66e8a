SELECT schema_name AS schema_name FROM {database}.INFORMATION_SCHEMA.SCHEMATA
