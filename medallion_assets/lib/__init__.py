"""Plain logic the Dagster objects in defs/ call: no decorators here, so it is testable without a run.

A `dg.Config` lives beside the code that reads it (the bronze loader's, the ML configs); the resource classes
(lib/mongo.py, lib/kafka.py) wrap the clients. Nothing here imports defs/, dev/ or the CLI.
"""
