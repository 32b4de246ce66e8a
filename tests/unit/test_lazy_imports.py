"""dagster_snowflake imports without Snowpark and snowflake.core (lib/lazy_imports.py), and what it took from them
still works when used."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import dagster_snowflake

from medallion_assets.lib.lazy_imports import DEFERRED


def test_the_deferred_names_are_all_dagster_snowflake_imports_from_those_modules():
    source = Path(dagster_snowflake.__file__).parent / "resources.py"
    taken = {}
    for node in ast.walk(ast.parse(source.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith(("snowflake.snowpark", "snowflake.core"))
        ):
            taken[node.module] = tuple(a.name for a in node.names)
        if isinstance(node, ast.ImportFrom) and node.module == "snowflake":
            assert [a.name for a in node.names] == ["snowpark"]
    assert taken == {k: v for k, v in DEFERRED.items() if v}


def test_a_command_loads_the_definitions_without_snowpark_and_the_names_import_on_use():
    code = (
        "import sys\n"
        "import medallion_assets.definitions\n"
        "heavy = [m for m in ('snowflake.snowpark', 'snowflake.core') if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
        "import dagster_snowflake.resources as r\n"
        "from snowflake.core import Root\n"
        "assert r.Root._target() is Root\n"
        "import snowflake.snowpark\n"
        "assert r.snowpark.Session._target() is snowflake.snowpark.Session\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
