"""Real-estate listings from MongoDB through Kafka into Snowflake, as a Dagster asset graph.

`medallion_assets.definitions.defs` is the code location.
"""

from medallion_assets.lib.lazy_imports import defer_snowpark

defer_snowpark()  # before anything imports dagster_snowflake: Snowpark only when used (lib/lazy_imports.py)
