"""`medallion query` signs in with the connector directly (lib/snowflake_auth.sign_in), importing neither Dagster nor
dagster-snowflake, and with exactly the arguments the runs' SnowflakeResource hands the connector: both are built
from the one statement of the sign-in, `snowflake_auth.resource_fields`. (tests/integration/test_cli.py and
test_key_pair.py sign in for real this way.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from medallion_assets.defs.resources import build_resources, resolved, snowflake_resource
from medallion_assets.dev.services import free_port
from medallion_assets.lib import snowflake_auth
from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.settings import SERVICE_VARIABLES
from tests.helpers import PRODUCTION_ENV
from tests.keys import key_pair

PRODUCTION = {**PRODUCTION_ENV, "SNOWFLAKE_ROLE": "TRANSFORMER", "SNOWFLAKE_WAREHOUSE": "COMPUTE_WH"}


def direct_args() -> dict:
    """What `medallion query` hands snowflake.connector.connect."""
    return snowflake_auth.connect_args(snowflake_auth.SignIn(**snowflake_auth.resource_fields(os.environ.__getitem__)))


def resource_args() -> dict:
    """What the runs' SnowflakeResource hands it (dagster_snowflake's own code), less its partner tag."""
    resource = resolved(build_resources()["snowflake"])  # the same fields, as a plain SnowflakeResource
    args = dict(resource._connection_args)
    assert args.pop("application") == "DagsterLabs_Dagster"
    return args


@pytest.fixture
def env(clean_env):
    for name in SERVICE_VARIABLES:
        clean_env.delenv(name, raising=False)
    return clean_env


def production(env, **credential):
    for name, value in {**PRODUCTION, **credential}.items():
        env.setenv(name, value)


def test_a_password_signs_in_the_same_both_ways(env):
    production(env, SNOWFLAKE_PASSWORD="s3cret")
    args = direct_args()
    assert args == resource_args()
    assert args == {
        "account": "acme-xy12345",
        "user": "MEDALLION_SVC",
        "password": "s3cret",
        "role": "TRANSFORMER",
        "warehouse": "COMPUTE_WH",
        "login_timeout": 30,
        "session_parameters": {"TIMEZONE": "UTC"},
    }


def test_a_key_and_its_passphrase_sign_in_the_same_both_ways(env):
    private, _ = key_pair("pass phrase")
    production(env, SNOWFLAKE_PRIVATE_KEY=private, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE="pass phrase")
    args = direct_args()
    assert args == resource_args()
    assert args["private_key"][:2] == b"\x30\x82" and "password" not in args  # DER, as the connector takes it
    assert args["session_parameters"] == {"TIMEZONE": "UTC"}


def test_a_key_file_signs_in_the_same_both_ways(env, tmp_path):
    private, _ = key_pair()
    path = tmp_path / "rsa_key.p8"
    path.write_text(private)
    production(env, SNOWFLAKE_PRIVATE_KEY_PATH=str(path))
    assert direct_args() == resource_args()


@pytest.mark.parametrize("with_key", [False, True], ids=["embedded password", "embedded with a key"])
def test_the_embedded_warehouse_is_signed_in_to_the_same_both_ways(env, with_key):
    env.setenv("MEDALLION_SNOWFLAKE_PORT", "41234")
    if with_key:
        env.setenv("SNOWFLAKE_PRIVATE_KEY", key_pair()[0])
    args = direct_args()
    assert args == resource_args()
    assert (args["host"], args["port"], args["protocol"]) == ("127.0.0.1", 41234, "http")
    assert ("private_key" in args) is with_key and ("password" in args) is not with_key


def test_the_resource_keeps_its_secrets_as_environment_references(env):
    production(env, SNOWFLAKE_PASSWORD="s3cret")
    fields = snowflake_resource()._get_non_default_public_field_values()
    for name in ("account", "user", "password"):
        assert isinstance(fields[name], dg.EnvVar), name


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_PRIVATE_KEY": "k"}, "SNOWFLAKE_PRIVATE_KEY and SNOWFLAKE_PASSWORD"),
        ({"SNOWFLAKE_PRIVATE_KEY": "not a key"}, "SNOWFLAKE_PRIVATE_KEY is not a PEM private key"),
        ({"SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_USER": ""}, "SNOWFLAKE_USER"),
    ],
)
def test_a_bad_setting_stops_the_direct_sign_in_with_one_line(env, variables, message):
    production(env, **variables)
    with pytest.raises(MedallionError, match=message), snowflake_auth.sign_in():
        pass


# Run in a fresh interpreter: which modules `medallion query` loads, and who imports pandas.
QUERY = """
import json, sys, traceback

class Spy:  # notes which file imports pandas first
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and not hasattr(sys, "pandas_importer"):
            frames = [f.filename for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
            sys.pandas_importer = frames[-1]
        return None

sys.meta_path.insert(0, Spy())
from medallion_assets.cli import main
code = main(["query", "SELECT 1"])
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"dagster", "dagster_snowflake", "pydantic"})
heavy = sorted(m for m in ("snowflake.snowpark", "snowflake.core", "snowflake.connector") if m in sys.modules)
print(json.dumps([code, loaded, heavy, getattr(sys, "pandas_importer", None)]))
"""


def test_medallion_query_imports_neither_dagster_nor_dagster_snowflake(tmp_path):
    """The whole command up to and through the sign-in (the warehouse's port answers nothing, so it ends in the
    one line for an unreachable warehouse). pandas: only the connector's own import-time probe
    (snowflake/connector/options.py, unconditional) may load it; nothing of ours does."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and not k.startswith("MEDALLION_")}
    env.update(MEDALLION_HOME=str(tmp_path), MEDALLION_SNOWFLAKE_PORT=str(free_port()))
    done = subprocess.run([sys.executable, "-c", QUERY], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip(), done.stderr[-2000:]
    code, loaded, heavy, pandas_importer = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 1 and "medallion: Snowflake is unreachable" in done.stderr, done.stderr[-2000:]
    assert loaded == [] and heavy == ["snowflake.connector"]
    assert pandas_importer is None or pandas_importer.endswith("snowflake/connector/options.py"), pandas_importer
