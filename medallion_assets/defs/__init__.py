"""The Dagster objects, by layer (loaded by definitions.py)."""

from medallion_assets.lib.lazy_imports import defer_snowpark

defer_snowpark()  # before any module here imports dagster_snowflake: Snowpark only when used (lib/lazy_imports.py)
