"""Model artifacts on the warehouse's internal stage, next to the registry that points at them.

A fitted pipeline is written (joblib) into a folder of the system temp dir, its SHA-256 taken, and the file
PUT to ``@ANALYTICS_DB.ML_RESULTS.ML_STAGE/models/<model_name>/<version>.joblib``; the registry row records
that location and the checksum. Loading GETs the file into a temp folder, and refuses it, naming the model
version, unless its SHA-256 is the one recorded. So training and prediction need no writable folder but the
system temp dir, and no volume shared between run pods: every run reads the artifact from the warehouse.

Rows registered before artifacts moved to the stage hold a local path and no checksum. Loading such a
version moves it: when the file is still readable here (the old model folder), it is PUT to the stage and
the row gets the stage location and the file's checksum (once; later loads verify against it). When the file
is not here, loading stops with one line naming the version and how to fix it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from medallion_assets.lib import ml_model, warehouse
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.ml_tables import STAGE

FOLDER = "models"


class ArtifactError(MedallionError):
    """A model version's artifact is missing, or is not the file its registry row recorded."""


def location(model_name: str, version: str) -> str:
    """Where a model version's artifact lives: a path on the ML stage."""
    return f"@{STAGE}/{FOLDER}/{model_name}/{version}.joblib"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _put(conn, local: Path, model_name: str) -> None:
    warehouse.put_file(conn, local, f"{STAGE}/{FOLDER}/{model_name}/")


def store(conn, pipeline, info: dict, model_name: str, version: str) -> dict:
    """Write the pipeline to the stage; returns the registry's artifact_location and artifact_sha256."""
    with tempfile.TemporaryDirectory(prefix="model-") as tmp:
        local = ml_model.save_artifact(Path(tmp) / f"{version}.joblib", pipeline, info)
        digest = sha256_of(local)
        _put(conn, local, model_name)
    return {"artifact_location": location(model_name, version), "artifact_sha256": digest}


def on_stage(conn, artifact_location: str) -> bool:
    """Whether the stage holds the file at `artifact_location` (LIST: metadata only, nothing downloaded; of the
    whole stage, as the embedded warehouse lists no path within a stage)."""
    if not artifact_location.startswith(f"@{STAGE}/"):
        return False
    path = artifact_location[len(f"@{STAGE}/") :]
    rows = conn.cursor().execute(f"LIST @{STAGE}").fetchall()
    return any(str(row[0]).endswith(f"/{path}") for row in rows)


def _describe(record: dict) -> str:
    return f"model version {record.get('model_version')} of {record.get('model_name')!r}"


def _migrate(conn, record: dict) -> dict:
    """A row registered before artifacts moved to the stage: PUT its local file there and record both."""
    local = Path(str(record.get("artifact_location") or ""))
    if not local.is_absolute() or not local.is_file():
        raise ArtifactError(
            f"{_describe(record)} was registered before artifacts moved to the warehouse stage, and its file "
            f"{record.get('artifact_location')} is not readable here: load it once where that file is (it then moves "
            f"to @{STAGE}), or archive the version in the registry and retrain"
        )
    moved = {"artifact_location": location(record["model_name"], record["model_version"])}
    moved["artifact_sha256"] = sha256_of(local)
    with tempfile.TemporaryDirectory(prefix="model-") as tmp:
        # PUT names the staged file after the local one: copy it under the version's name first
        staged = Path(tmp) / f"{record['model_version']}.joblib"
        staged.write_bytes(local.read_bytes())
        _put(conn, staged, record["model_name"])
    warehouse.execute(
        conn,
        "ml/registry_move_artifact",
        {**moved, "model_name": record["model_name"], "model_version": record["model_version"]},
    )
    return {**record, **moved}


def load(conn, record: dict):
    """The fitted pipeline and its info of a registry row (model_name, model_version, artifact_location,
    artifact_sha256), read from the stage and checked against the recorded SHA-256."""
    if not str(record.get("artifact_location") or "").startswith("@"):
        record = _migrate(conn, record)
    expected = record.get("artifact_sha256")
    if not expected:
        raise ArtifactError(
            f"{_describe(record)} has no artifact checksum in the registry, so its artifact "
            f"{record['artifact_location']} cannot be verified: retrain it or archive it"
        )
    with tempfile.TemporaryDirectory(prefix="model-") as tmp:
        try:
            conn.cursor().execute(f"GET '{record['artifact_location']}' 'file://{Path(tmp).as_posix()}/'")
        except Exception as exc:
            raise ArtifactError(
                f"{_describe(record)}: its artifact {record['artifact_location']} could not be read from the stage "
                f"({getattr(exc, 'msg', exc)})"
            ) from exc
        local = Path(tmp) / Path(record["artifact_location"]).name
        if not local.is_file():
            raise ArtifactError(f"{_describe(record)}: its artifact {record['artifact_location']} is not on the stage")
        actual = sha256_of(local)
        if actual != expected:
            raise ArtifactError(
                f"{_describe(record)}: artifact {record['artifact_location']} has SHA-256 {actual}, the registry "
                f"recorded {expected}; it was changed after registration: retrain it or archive it"
            )
        return ml_model.load_artifact(local)
