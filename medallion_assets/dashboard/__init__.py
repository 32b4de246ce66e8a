"""The analysts' dashboard: a Streamlit app over the semantic views, the ML results and the Dagster instance.

Plain logic (queries -> DataFrames, charts) in queries.py, health.py and charts.py; Streamlit code in pages.py
and app.py. Nothing in the Dagster definitions imports this package (tests/unit/test_layout.py)."""
