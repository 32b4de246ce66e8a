"""The deployment files parse and say what the deployment relies on (no Docker or Kubernetes needed).

deploy/dagster.yaml goes through Dagster's own instance config validation and dagster-postgres' storage schema;
deploy/helm/values.yaml and deploy/Dockerfile are read as text/YAML. tests/ui/test_postgres_deployment.py runs the
instance for real on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy
import yaml

from tests import dockerfile

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PG_ENV = {
    "DAGSTER_PG_HOST": "db.internal",
    "DAGSTER_PG_PORT": "6543",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "p@ss word",
    "DAGSTER_PG_DB": "dagster_prod",
}


@pytest.fixture
def instance_config() -> dict:
    from dagster._core.instance.config import dagster_instance_config

    config, custom_class = dagster_instance_config(str(DEPLOY), "dagster.yaml")
    assert custom_class is None
    return config


def test_dagster_yaml_keeps_everything_in_postgres_from_environment_variables(instance_config, monkeypatch):
    from dagster._config import process_config, resolve_to_config_type
    from dagster_postgres import DagsterPostgresStorage
    from dagster_postgres.utils import pg_url_from_config

    storage = instance_config["storage"]
    assert list(storage) == ["postgres"]
    db = storage["postgres"]["postgres_db"]
    assert {k: v for k, v in db.items() if isinstance(v, dict)} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    resolved = process_config(resolve_to_config_type(DagsterPostgresStorage.config_type()), storage["postgres"])
    assert resolved.success, resolved.errors
    url = pg_url_from_config(resolved.value)
    assert url == "postgresql+psycopg2://dagster:p%40ss%20word@db.internal:6543/dagster_prod"
    # The installed SQLAlchemy must pick the driver dagster-postgres brings (psycopg2), not psycopg 3.
    assert sqlalchemy.engine.make_url(url).get_dialect().driver == "psycopg2"


def test_dagster_yaml_queues_runs_monitors_them_and_limits_the_pools(instance_config):
    assert instance_config["run_coordinator"] == {
        "module": "dagster.core.run_coordinator",
        "class": "QueuedRunCoordinator",
    }
    monitoring = instance_config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert 60 <= monitoring["start_timeout_seconds"] <= 900 and 60 <= monitoring["cancel_timeout_seconds"] <= 900
    assert monitoring["max_runtime_seconds"] == 6 * 3600  # a killed subprocess worker releases its slots
    assert monitoring["free_slots_after_run_end_seconds"] == 60
    concurrency = instance_config["concurrency"]
    assert concurrency["pools"] == {"default_limit": 1}  # bronze_loader is not configured otherwise: limit 1
    assert concurrency["runs"]["max_concurrent_runs"] == 4
    assert concurrency["runs"]["tag_concurrency_limits"] == [
        {"key": "medallion/trigger", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    assert instance_config["telemetry"] == {"enabled": False}


def test_bronze_is_in_the_pool_the_deployment_limits():
    from medallion_assets.definitions import defs

    bronze = defs.resolve_assets_def("bronze_real_estate")
    assert bronze.op.pool == "bronze_loader"


def test_helm_values_wire_the_image_secrets_postgres_and_run_limits():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    user = values["dagster-user-deployments"]
    assert user["enabled"] is True
    (deployment,) = user["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "medallion_assets.definitions"]
    assert deployment["port"] == dockerfile_port()
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    assert [s["name"] for s in deployment["envSecrets"]] == [
        "medallion-mongo",
        "medallion-kafka",
        "medallion-snowflake",
    ]
    # No shared volume (model artifacts live on the warehouse stage) and a read-only root file system, for the
    # code location and for every run pod (which inherits volumes and the pod security context, not the container's)
    volumes = {v["name"]: v for v in deployment["volumes"]}
    assert not [v for v in volumes.values() if "persistentVolumeClaim" in v]
    assert volumes["tmp"] == {"name": "tmp", "emptyDir": {}}
    assert {m["mountPath"]: m["name"] for m in deployment["volumeMounts"]}["/tmp"] == "tmp"
    assert "MEDALLION_HOME" not in deployment["env"]
    assert deployment["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["podSecurityContext"]["runAsNonRoot"] is True
    run_container = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["containerConfig"]
    assert run_container["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    postgres = values["postgresql"]
    assert postgres["enabled"] is False and postgres["postgresqlHost"]
    assert postgres["postgresqlScheme"] == "postgresql+psycopg2"
    assert values["generatePostgresqlPasswordSecret"] is False and values["global"]["postgresqlSecretName"]
    daemon = values["dagsterDaemon"]
    assert daemon["runCoordinator"]["enabled"] is True
    assert daemon["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert daemon["runMonitoring"]["enabled"] is True
    assert values["concurrency"]["enabled"] is True
    assert values["concurrency"]["pools"]["defaultLimit"] == 1
    assert values["concurrency"]["runs"]["maxConcurrentRuns"] == 4
    assert values["telemetry"] == {"enabled": False}


def dockerfile_port() -> int:
    text = (DEPLOY / "Dockerfile").read_text()
    (port,) = re.findall(r"^EXPOSE (\d+)$", text, flags=re.M)
    return int(port)


def test_dockerfile_installs_the_package_pinned_without_the_stand_ins():
    *builders, final = dockerfile.stages()
    assert final.base == "python:3.11-slim" and [b.base for b in builders] == ["python:3.11-slim"]
    install, _ = dockerfile.install_command(final)
    assert install == [
        "--find-links", "/tmp/install",
        "-c", "/tmp/install/requirements.lock", "-c", "/tmp/install/k8s-constraints.txt",
        "medallion-assets[k8s]",
    ]  # fmt: skip
    assert "local" not in " ".join(install)
    assert final.cmd == [
        "dagster", "api", "grpc", "-h", "0.0.0.0", "-p", str(dockerfile_port()), "-m", "medallion_assets.definitions",
    ]  # fmt: skip


def test_the_image_keeps_no_source_where_dagster_looks_first():
    """`dagster api grpc -m` puts its working directory first on sys.path: the final stage copies only the wheel and
    the constraint files (to a folder it removes), never the package or sql/."""
    *_, final = dockerfile.stages()
    copied = [source for _, sources, _, _ in final.copies for source in sources]
    assert not [s for s in copied if s.rstrip("/") in ("medallion_assets", "sql", ".", "pyproject.toml")], copied
    assert all(dest.startswith("/tmp/install") for _, _, dest, _ in final.copies)


def test_k8s_constraints_match_the_lock():
    def pins(path: Path) -> dict[str, str]:
        lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
        return {name.lower().replace("_", "-"): version for name, version in (line.split("==") for line in lines)}

    lock, k8s = pins(REPO / "requirements.lock"), pins(DEPLOY / "k8s-constraints.txt")
    assert set(lock) & set(k8s) == set()
    assert k8s["dagster-k8s"] == lock["dagster-postgres"] == lock["dagster-snowflake"]
