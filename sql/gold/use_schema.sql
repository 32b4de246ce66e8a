-- MERGE needs a current schema on the embedded warehouse (it stages candidates in a temporary table);
-- on Snowflake it is harmless: every statement names its tables in full.
USE SCHEMA ANALYTICS_DB.DWH
