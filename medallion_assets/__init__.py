"""Real-estate listings from MongoDB through Kafka into Snowflake, as a Dagster asset graph.

`medallion_assets.definitions.defs` is the code location. Importing the package imports nothing else: each command
and each run imports what it needs when it needs it (`medallion query` neither Dagster nor dagster-snowflake).
"""
