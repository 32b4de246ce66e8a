"""The code location image, replayed without Docker: deploy/Dockerfile's final stage is read as data (tests/
dockerfile.py), its COPY lines laid out under a folder standing for the image's root, its own `pip install` line run
into a fresh virtual environment, and its CMD (`dagster api grpc -m medallion_assets.definitions`) started in its
WORKDIR. A job launched through that server reads SQL (the setup DDL, bronze's statements) and writes bronze rows.

What differs from the image, and why: no network here, so the install runs with `--no-index` against the wheel the
test built, and the dependencies come from this project's virtual environment (a `.pth` file in the fresh venv
pointing at a folder of links to the project venv's packages, without the project's own editable install); the `k8s`
extra is dropped (dagster-k8s is not installed here; only the cluster's run launcher needs it); the server listens on
127.0.0.1 and a free port, and talks to the embedded services instead of MEDALLION_ENV=production's real ones.
The failure this guards against: a source copy in the WORKDIR shadowed the installed package, which alone carries
the SQL (`ModuleNotFoundError: medallion_assets.sql`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tests import dockerfile

REPO = dockerfile.REPO
BIN = Path(sys.executable).parent
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".medallion", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
    "test-artifacts", ".env",
)  # fmt: skip
LISTINGS = 12


def build_wheel(out: Path, tmp: Path) -> Path:
    source = tmp / "repo"
    shutil.copytree(REPO, source, ignore=NOT_COPIED)
    subprocess.run(
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
        check=True,
        capture_output=True,
        timeout=180,
    )
    (wheel,) = out.glob("medallion_assets-*.whl")
    return wheel


def in_root(root: Path, path: str, workdir: str) -> Path:
    """Where an image path lands under `root` (relative paths are relative to the instruction's WORKDIR)."""
    return root / Path(workdir, path).relative_to("/")


def lay_out(stage: dockerfile.Stage, root: Path, built: Path) -> None:
    """Replay the stage's COPY lines: from the build context (the repository) or from the builder stage (whose only
    product is the wheel in `built`)."""
    for source_stage, sources, dest, workdir in stage.copies:
        target = in_root(root, dest, workdir)
        into_dir = dest.endswith("/") or len(sources) > 1
        for source in sources:
            origin = built if source_stage else REPO / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True, ignore=NOT_COPIED)
            else:
                target.mkdir(parents=True, exist_ok=True) if into_dir else target.parent.mkdir(
                    parents=True, exist_ok=True
                )
                shutil.copy2(origin, target / origin.name if into_dir else target)
    in_root(root, stage.workdir, "/").mkdir(parents=True, exist_ok=True)


def fresh_venv(path: Path) -> Path:
    """A virtual environment that sees the project venv's dependencies but not the project itself."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    deps = path.parent / "project-deps"
    deps.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("medallion_assets", "__editable__", "_medallion")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    python = path / "bin" / "python"
    target_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(target_site, "project_deps.pth").write_text(f"{deps}\n")
    return python


def install(stage: dockerfile.Stage, root: Path, python: Path) -> subprocess.CompletedProcess:
    """The stage's own pip install line, with image paths mapped under `root`, offline."""
    args, workdir = dockerfile.install_command(stage)
    mapped = []
    for arg in args:
        if arg.startswith("/"):
            arg = str(in_root(root, arg, "/"))
        elif "[" in arg and not arg.startswith("-"):
            arg = arg[: arg.index("[")]  # the k8s extra: dagster-k8s is not installed here
        mapped.append(arg)
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-build-isolation"]
    return subprocess.run(
        command + mapped, cwd=in_root(root, workdir, "/"), capture_output=True, text=True, timeout=300
    )


def console_script(python: Path) -> Path:
    """`dagster`, the console script pip wrote into the project venv, for the fresh venv's interpreter (the fresh venv
    got dagster through the project's packages, so pip wrote no script there)."""
    script = python.parent / "dagster"
    if not script.exists():
        _, body = (BIN / "dagster").read_text().split("\n", 1)
        script.write_text(f"#!{python}\n{body}")
        script.chmod(0o755)
    return script


def wait_for_server(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dagster api grpc exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        check = subprocess.run(
            [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)], capture_output=True, timeout=60
        )
        if check.returncode == 0:
            return
        time.sleep(1)
    pytest.fail(f"dagster api grpc did not answer on port {port} within 180 s:\n{log.read_text()[-3000:]}")


def root_cause(error) -> str:
    """The innermost error of a step failure, as its last line (e.g. `ModuleNotFoundError: ...`)."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[-1]


def test_a_job_runs_through_the_image_layout(stack, services_home, tmp_path):
    import dagster as dg

    from medallion_assets.dev import seeding
    from medallion_assets.dev.services import free_port
    from medallion_assets.lib import warehouse

    *_, final = dockerfile.stages()
    root = tmp_path / "image"
    built = tmp_path / "wheels"
    build_wheel(built, tmp_path)
    lay_out(final, root, built)
    python = fresh_venv(tmp_path / "venv")
    result = install(final, root, python)
    assert result.returncode == 0, f"the Dockerfile's install line failed:\n{result.stdout}\n{result.stderr}"

    with stack["mongo"].get_collection() as collection:
        assert seeding.insert(collection, LISTINGS, random_seed=7) == LISTINGS
    topic = stack["kafka"].topic

    port = free_port()
    command = [str(console_script(python))] + final.cmd[1:]
    command[command.index("-h") + 1] = "127.0.0.1"
    command[command.index("-p") + 1] = str(port)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the image's ENV, but for what points at this test's embedded services and instance
    env.update({k: v for k, v in final.env.items() if k not in ("MEDALLION_ENV", "MEDALLION_HOME", "DAGSTER_HOME")})
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"
    # an instance of the test's own that launches a run at once (the default coordinator queues it for a daemon)
    dagster_home = tmp_path / "dagster-home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    env["DAGSTER_HOME"] = str(dagster_home)
    log = tmp_path / "grpc.log"
    workdir = in_root(root, final.workdir, "/")
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_server(port, server, log)
        launched = subprocess.run(
            [str(BIN / "dagster"), "job", "launch", "-j", "ingest_job", "--grpc-host", "127.0.0.1",
             "--grpc-port", str(port)],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert launched.returncode == 0, launched.stdout + launched.stderr
        with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
            deadline = time.monotonic() + 300
            while True:
                (run,) = instance.get_runs(limit=1, filters=dg.RunsFilter(job_name="ingest_job"))
                if run.is_finished or time.monotonic() > deadline:
                    break
                time.sleep(1)
            failures = [
                root_cause(e.dagster_event.event_specific_data.error)
                for e in instance.all_logs(run.run_id)
                if e.dagster_event and e.dagster_event.is_step_failure
            ]
            assert run.status == dg.DagsterRunStatus.SUCCESS, f"ingest_job {run.status.value}: {failures}"
    finally:
        server.terminate()  # a code server stops at its next heartbeat check: give it time, then insist
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)

    # the run imported the installed package, not a copy in the working directory
    assert sorted(p.name for p in workdir.iterdir()) == []
    with warehouse.connect(stack["snowflake"]) as conn:
        (count,) = (
            conn.cursor()
            .execute(
                "SELECT COUNT(*) AS n FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE WHERE kafka_topic = %(topic)s",
                {"topic": topic},
            )
            .fetchone()
        )
    assert count == LISTINGS
