"""Step logs in the object store: the compute log manager of deploy/dagster.yaml (dagster-aws's S3ComputeLogManager,
the same settings as the Helm values, see tests/unit/test_instance_config.py) against the embedded S3 (localbucket,
dev/s3_server.py). A step's stdout and stderr must land in the bucket, and an instance with an empty local folder
(another pod: the webserver) must read them back from there."""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml

from medallion_assets.dev import services

DEPLOY_YAML = services.PROJECT_ROOT / "deploy" / "dagster.yaml"


@pytest.fixture
def embedded_s3(tmp_path, monkeypatch):
    """localbucket on a free port, holding the bucket deploy/dagster.yaml names; boto3 pointed at it."""
    bucket = yaml.safe_load(DEPLOY_YAML.read_text())["compute_logs"]["config"]["bucket"]
    (tmp_path / "s3" / bucket).mkdir(parents=True)
    port = services.free_port()
    with open(tmp_path / "s3.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "medallion_assets.dev.s3_server", str(tmp_path / "s3"), "--host", "127.0.0.1"]
            + ["--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, f"see {tmp_path / 's3.log'}"
                time.sleep(0.1)
        # boto3's own variables, as a deployment sets them (or a pod role does, on AWS)
        for name, value in {
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        yield bucket
    finally:
        process.terminate()
        process.wait(timeout=10)


def instance_home(folder: Path) -> Path:
    """A DAGSTER_HOME with deploy/dagster.yaml's compute logs (only local_dir moved into the test's folder)."""
    compute_logs = yaml.safe_load(DEPLOY_YAML.read_text())["compute_logs"]
    compute_logs["config"]["local_dir"] = str(folder / "staging")
    folder.mkdir()
    (folder / "dagster.yaml").write_text(yaml.safe_dump({"compute_logs": compute_logs}))
    return folder


@dg.asset
def talkative():
    print("listing L1 parsed")
    print("listing L2 rejected: no price", file=sys.stderr)


def test_a_steps_stdout_and_stderr_land_in_the_bucket_and_read_back_elsewhere(embedded_s3, tmp_path):
    with dg.DagsterInstance.from_config(str(instance_home(tmp_path / "worker"))) as worker:
        assert type(worker.compute_log_manager).__name__ == "S3ComputeLogManager"
        result = dg.materialize([talkative], instance=worker)
        assert result.success
        (captured,) = [
            e.dagster_event.logs_captured_data
            for e in worker.all_logs(result.run_id, of_type=dg.DagsterEventType.LOGS_CAPTURED)
        ]
        log_key = worker.compute_log_manager.build_log_key_for_run(result.run_id, captured.file_key)
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=embedded_s3)["Contents"]]
    prefix = f"compute-logs/storage/{'/'.join(log_key)}"
    assert sorted(keys) == [f"{prefix}.err", f"{prefix}.out"]
    assert s3.get_object(Bucket=embedded_s3, Key=f"{prefix}.out")["Body"].read() == b"listing L1 parsed\n"
    assert b"listing L2 rejected: no price\n" in s3.get_object(Bucket=embedded_s3, Key=f"{prefix}.err")["Body"].read()

    # The webserver (another pod, nothing in its local folder) reads them from the bucket.
    with dg.DagsterInstance.from_config(str(instance_home(tmp_path / "webserver"))) as webserver:
        assert not (tmp_path / "webserver" / "staging").exists()
        logs = webserver.compute_log_manager.get_log_data(log_key)
    assert logs.stdout == b"listing L1 parsed\n"
    assert b"listing L2 rejected: no price\n" in logs.stderr
