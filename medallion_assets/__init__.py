"""Real-estate listings from MongoDB through Kafka into Snowflake, as a Dagster asset graph.

`medallion_assets.definitions.defs` is the code location.
"""
