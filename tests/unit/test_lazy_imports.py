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


PACKAGE = Path(__file__).resolve().parents[2] / "medallion_assets"
# Where the deferral runs before dagster_snowflake is imported: defs/__init__.py (for every module under defs/) and
# lib/session.py (for itself, and lib/warehouse.py, which imports it at run time only through lib/session.py).
DEFERRING = ("defs/", "lib/session.py")


def test_every_module_importing_dagster_snowflake_does_so_after_the_deferral():
    """A module elsewhere that imports dagster_snowflake at its top would load Snowpark (seconds) in whatever imports
    it first, e.g. a `medallion` command; one under TYPE_CHECKING or inside a function is fine."""
    eager = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "dagster_snowflake" for name in names):
                eager.append(str(path.relative_to(PACKAGE)))
    assert eager and all(p.startswith(DEFERRING) for p in eager), [p for p in eager if not p.startswith(DEFERRING)]


def test_the_package_and_the_query_command_import_no_dagster():
    code = (
        "import sys\n"
        "import medallion_assets, medallion_assets.cli, medallion_assets.lib.snowflake_auth\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster', 'dagster_snowflake', 'pydantic'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr[-2000:]
