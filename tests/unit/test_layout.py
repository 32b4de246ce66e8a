"""The layout's rules, checked on the source: defs/ and lib/ never reach into dev/ or the CLI, modules stay
small enough to read, every SQL file the code names exists, and the two dg configurations agree."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import medallion_assets
from medallion_assets.lib import warehouse

PACKAGE = Path(medallion_assets.__file__).parent
MAX_MODULE_LINES = 400
FORBIDDEN = ("medallion_assets.dev", "medallion_assets.cli")


def modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PACKAGE / folder).rglob("*.py"))


# Parsed once, when pytest collects this module, before any test runs: after a RecursionError caught elsewhere in
# the same process, CPython 3.11 can fail a later ast.parse with "AST constructor recursion depth mismatch".
TREES = {p: ast.parse(p.read_text(), filename=str(p)) for p in modules(".")}


def tree(path: Path) -> ast.Module:
    return TREES[path] if path in TREES else ast.parse(path.read_text(), filename=str(path))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", modules("defs", "lib", "dashboard"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_production_code_does_not_import_dev_or_cli(path):
    bad = sorted(n for n in imported_names(path) if n.startswith(FORBIDDEN) or n == "medallion_assets.cli")
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


# The dashboard reads what the definitions produce; the definitions (and the run workers that load them) never load
# Streamlit or the dashboard.
DEFINITIONS = [*modules("defs", "lib"), PACKAGE / "definitions.py", PACKAGE / "__init__.py"]


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_definitions_do_not_import_the_dashboard(path):
    bad = sorted(n for n in imported_names(path) if n.startswith(("medallion_assets.dashboard", "streamlit", "altair")))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_streamlit_stays_in_the_dashboards_page_code():
    """Only pages.py and app.py import Streamlit: queries, health and charts stay testable without it."""
    users = {p.name for p in modules("dashboard") if any(n.startswith("streamlit") for n in imported_names(p))}
    assert users == {"pages.py", "app.py"}


def test_lib_holds_no_dagster_decorators():
    for path in modules("lib"):
        for node in ast.walk(tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:
                    text = ast.unparse(decorator)
                    assert not text.startswith("dg."), f"{path.name}: {node.name} is decorated with {text}"


def test_the_import_check_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from medallion_assets.dev import services\nimport medallion_assets.cli\n")
    assert {"medallion_assets.dev", "medallion_assets.cli"} <= imported_names(sample)


@pytest.mark.parametrize("path", modules("."), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines: it is doing two jobs"


SQL_NAME = re.compile(
    r"""["']((?:setup|common|ingestion|bronze|silver|gold|semantic|ml|doctor|dashboard)/[a-z0-9_]+)["']"""
)


def test_every_sql_file_the_code_names_ships_in_the_package():
    named = {m for path in modules(".") for m in SQL_NAME.findall(path.read_text())}
    assert len(named) > 50
    for name in sorted(named):
        assert warehouse.load_sql(name).strip(), name
    assert len(warehouse.setup_statements()) >= 20


def test_dg_configurations_agree():
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["dg"]
    packaged = tomllib.loads((PACKAGE / "dg.toml").read_text())
    assert packaged["directory_type"] == pyproject["directory_type"] == "project"
    for key, value in packaged["project"].items():
        assert pyproject["project"][key] == value, key
