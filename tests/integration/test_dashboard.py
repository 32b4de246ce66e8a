"""The dashboard's pages on a warehouse that has nothing yet, and on one that does not answer, run headless with
Streamlit's AppTest (the page code as `streamlit run` runs it, without a browser; tests/ui/test_dashboard_ui.py
opens the pages in Chromium on a pipeline's output).

- no tables at all, and tables without rows (setup applied, pipeline never run): every page says
  "no data yet: run `make pipeline`" (the price model on empty tables: that none is trained yet), no exception,
  no error;
- the warehouse's port answers nobody: every page shows one error line naming Snowflake, no exception;
- the Dagster instance not configured: the Data health page names it in one line.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from medallion_assets.dev import services
from medallion_assets.lib import warehouse

PAGE_FUNCTIONS = ["market_page", "pulse_page", "changes_page", "anomalies_page", "model_page", "health_page"]
NO_DATA = "no data yet: run `make pipeline`"


def run_page(name: str) -> AppTest:
    def script(page_name):
        import streamlit as st

        from medallion_assets.dashboard import pages

        st.cache_data.clear()  # each test points the dashboard at another warehouse
        getattr(pages, page_name)()

    app = AppTest.from_function(script, args=(name,), default_timeout=120)
    return app.run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.fixture
def dashboard_home(tmp_path, monkeypatch, services_home):
    """A MEDALLION_HOME whose warehouse port is set by the test, and an empty Dagster instance."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MEDALLION_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()

    def point_at(snowflake_port: int) -> None:
        ports = json.loads((services_home / "services.json").read_text())["ports"]
        (home / "services.json").write_text(json.dumps({"ports": {**ports, "snowflake": snowflake_port}}))

    return point_at


@pytest.mark.parametrize("name", PAGE_FUNCTIONS)
def test_a_warehouse_without_tables_says_no_data_yet(name, dashboard_home, warehouse_port):
    # The module's own warehouse is new: these run before the next test applies the setup DDL to it (pytest keeps
    # the file's order; the embedded warehouse cannot DROP DATABASE to start over).
    dashboard_home(warehouse_port)
    app = run_page(name)
    assert not app.exception, texts(app.exception)
    assert not app.error, texts(app.error)
    (info,) = texts(app.info)
    assert info.startswith(NO_DATA + " (") and "does not exist" in info, info  # names the missing object


@pytest.mark.parametrize("name", PAGE_FUNCTIONS)
def test_tables_without_rows_say_no_data_yet(name, dashboard_home, warehouse_port, snowflake_resource):
    with warehouse.connect(snowflake_resource) as conn:
        warehouse.apply_setup(conn)
    dashboard_home(warehouse_port)
    app = run_page(name)
    assert not app.exception, texts(app.exception)
    assert not app.error, texts(app.error)
    expected = "no price model trained yet" if name == "model_page" else NO_DATA
    assert any(text.startswith(expected) for text in texts(app.info)), texts(app.info)
    if name == "health_page":  # the empty Dagster instance: every check listed, none run yet
        assert [m.label for m in app.metric] == ["Checks passing", "Checks failing", "Checks not run"]
        assert [m.value for m in app.metric][:2] == ["0", "0"]


@pytest.mark.parametrize("name", PAGE_FUNCTIONS)
def test_an_unreachable_warehouse_is_one_line_naming_it(name, dashboard_home):
    dashboard_home(services.free_port())  # nobody listens there
    app = run_page(name)
    assert not app.exception, texts(app.exception)
    errors = texts(app.error)
    assert errors, "no error shown"
    assert "\n" not in errors[0] and "Snowflake" in errors[0], errors
    assert "Traceback" not in errors[0]


def test_an_unconfigured_dagster_instance_is_one_line_naming_it(dashboard_home, warehouse_port, monkeypatch):
    dashboard_home(warehouse_port)
    monkeypatch.delenv("DAGSTER_HOME")
    app = run_page("health_page")
    assert not app.exception, texts(app.exception)
    assert texts(app.error) == ["the Dagster instance is not configured: DAGSTER_HOME is not set"]
