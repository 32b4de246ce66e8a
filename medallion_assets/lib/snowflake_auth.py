"""How the project signs in to Snowflake: a key pair for services, a password for people.

Snowflake has been removing single-factor password sign-in (service users first, every user by October 2026), so a
deployment signs in with a key pair: the private key in SNOWFLAKE_PRIVATE_KEY (PEM text, or that text base64-encoded)
or in a file named by SNOWFLAKE_PRIVATE_KEY_PATH, with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE when the key is encrypted,
and the public key registered on the user (`ALTER USER ... SET RSA_PUBLIC_KEY`). SNOWFLAKE_PASSWORD still works for
a person's own runs where their account allows it. The connector does the signing; this module picks the fields and
reads the key once up front, so a bad one stops with one line naming its variable.

`resource_fields` states the sign-in once: which variables, which credential, which session parameters. The runs'
SnowflakeResource is built from it (defs/resources.py) and so is `medallion query`'s own sign-in (`sign_in`), which
calls the connector directly: without Dagster, dagster-snowflake and their imports, the command starts in a
fraction of the time. Nothing here imports Dagster.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medallion_assets.lib.errors import AccessRefused, MedallionError, ServiceUnavailable
from medallion_assets.lib.settings import (
    Ports,
    embedded_services,
    embedded_snowflake_args,
    is_set,
    require_together,
    value,
)

KEY = "SNOWFLAKE_PRIVATE_KEY"
KEY_PATH = "SNOWFLAKE_PRIVATE_KEY_PATH"
PASSPHRASE = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
PASSWORD = "SNOWFLAKE_PASSWORD"
CREDENTIALS = (KEY, KEY_PATH, PASSWORD)
# Every session in UTC, so CURRENT_TIMESTAMP and friends agree with the UTC the code stores (SYSDATE() in sql/ is
# UTC whatever the session says).
SESSION_PARAMETERS = {"TIMEZONE": "UTC"}
ROLE_NOT_GRANTED = (390189,)  # "Role 'X' specified in the connect string is not granted to this user"
_log = logging.getLogger(__name__)


def method() -> str | None:
    """Which credential the environment gives: 'key', 'key_path', 'password' or None; refuses two at once."""
    given = [name for name in CREDENTIALS if is_set(name)]
    if len(given) > 1:
        raise MedallionError(
            f"{' and '.join(given)} are both set: a service signs in with SNOWFLAKE_PRIVATE_KEY or "
            "SNOWFLAKE_PRIVATE_KEY_PATH, a person with SNOWFLAKE_PASSWORD; set one"
        )
    if is_set(PASSPHRASE) and (not given or given[0] == PASSWORD):
        raise MedallionError(f"{PASSPHRASE} is set without {KEY} or {KEY_PATH}")
    return {KEY: "key", KEY_PATH: "key_path", PASSWORD: "password"}[given[0]] if given else None


def _credential(secret: Callable[[str], Any]) -> dict:
    """The credential fields the environment gives (see `method`); `secret(name)` stands for a secret's value."""
    how = method()
    if how == "key":
        fields = {"private_key": secret(KEY)}
    elif how == "key_path":
        fields = {"private_key_path": value(KEY_PATH)}
    elif how == "password":
        return {"password": secret(PASSWORD)}
    else:
        return {}
    if is_set(PASSPHRASE):
        fields["private_key_password"] = secret(PASSPHRASE)
    return fields


def resource_fields(secret: Callable[[str], Any]) -> dict[str, Any]:
    """How the warehouse is signed in to, as SnowflakeResource's fields: the one statement of it.

    `secret(name)` gives a secret variable's value: `dg.EnvVar(name)` for the runs' resource (Dagster reads it at
    run time and never shows it), `os.environ[name]` for `sign_in`. Other settings are read now (the UI shows them).
    The embedded warehouse signs in as its own user, by its password or by a key pair registered for it.
    """
    if "snowflake" in embedded_services():
        args = embedded_snowflake_args(Ports.configured().snowflake)
        credential = _credential(secret) or {"password": args["password"]}
        del args["password"]
        return {
            "account": args.pop("account"),
            "user": args.pop("user"),
            **credential,
            "additional_snowflake_connection_args": {**args, "network_timeout": 30, "login_timeout": 10},
        }
    credential = _credential(secret)
    if not credential:
        raise MedallionError(
            "SNOWFLAKE_ACCOUNT is set, so SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PRIVATE_KEY_PATH (a key pair, for a "
            "service user) or SNOWFLAKE_PASSWORD (a person) must be set too (see docs/configuration.md)"
        )
    require_together("SNOWFLAKE_ACCOUNT", ["SNOWFLAKE_USER"])
    return {
        "account": secret("SNOWFLAKE_ACCOUNT"),
        "user": secret("SNOWFLAKE_USER"),
        **credential,
        "role": value("SNOWFLAKE_ROLE") or None,
        "warehouse": value("SNOWFLAKE_WAREHOUSE") or None,
        "login_timeout": 30,
        "additional_snowflake_connection_args": {"session_parameters": dict(SESSION_PARAMETERS)},
    }


@dataclass(frozen=True)
class SignIn:
    """Resolved `resource_fields`, under SnowflakeResource's names: what the messages below read of either."""

    account: str
    user: str
    password: str | None = None
    private_key: str | None = None
    private_key_path: str | None = None
    private_key_password: str | None = None
    role: str | None = None
    warehouse: str | None = None
    login_timeout: int | None = None
    additional_snowflake_connection_args: dict | None = None


# The fields SnowflakeResource hands to the connector as they are (dagster_snowflake's `_connection_args`; those
# `resource_fields` can give). tests/unit/test_sign_in.py checks `connect_args` against that resource's arguments.
_PLAIN = ("account", "user", "password", "role", "warehouse", "login_timeout")


def connect_args(sign_in: SignIn) -> dict[str, Any]:
    """snowflake.connector.connect's arguments for these fields, as SnowflakeResource builds them (the key as DER
    bytes), without its partner `application` tag: this sign-in is not Dagster's."""
    from cryptography.hazmat.primitives import serialization

    args = {name: getattr(sign_in, name) for name in _PLAIN if getattr(sign_in, name) is not None}
    if sign_in.private_key or sign_in.private_key_path:
        key = load_private_key(sign_in.private_key, sign_in.private_key_path, sign_in.private_key_password)
        args["private_key"] = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    args.update(sign_in.additional_snowflake_connection_args or {})
    return args


@contextmanager
def sign_in() -> Iterator[Any]:
    """A connector session signed in with `resource_fields` (secrets read from the environment now), committed and
    closed at the end; a failed sign-in is one line, as `lib/warehouse.connect` says it."""
    import snowflake.connector
    from snowflake.connector.errors import Error, OperationalError

    fields = SignIn(**resource_fields(lambda name: os.environ[name]))
    args = connect_args(fields)  # a bad key or passphrase: one line naming its variable
    try:
        conn = snowflake.connector.connect(**args)
    except Error as exc:
        raise login_error(fields, exc) from None
    try:
        yield conn
    except BaseException:
        try:
            conn.close()
        except Error as exc:  # a dead server cannot be told goodbye; the error that got here is the one to say
            _log.debug("closing a failed direct session: %s", exc)
        raise
    try:
        conn.commit()
        conn.close()
    except OperationalError as exc:
        raise ServiceUnavailable(
            f"Snowflake{where(fields)} stopped answering at the final COMMIT ({first_line(exc)})", service="Snowflake"
        ) from None


def key_variable(private_key: str | None, private_key_path: str | None) -> str:
    return KEY_PATH if private_key_path else KEY


def load_private_key(private_key: str | None, private_key_path: str | None, passphrase: str | None):
    """The private key as the connector will read it (PEM, or base64 of PEM), or one line naming what is wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    variable = key_variable(private_key, private_key_path)
    if private_key_path:
        path = Path(private_key_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MedallionError(f"{KEY_PATH}: cannot read {path} ({exc.strerror})") from None
    elif private_key:
        data = private_key.strip().encode()
    else:
        raise MedallionError(f"neither {KEY} nor {KEY_PATH} is set")
    if not data.lstrip().startswith(b"-----BEGIN"):
        try:
            data = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise MedallionError(f"{variable} is not a PEM private key (nor base64 of one)") from None
    password = passphrase.encode() if passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:  # "Password was not given but private key is encrypted", or the other way round
        if password is None:
            raise MedallionError(f"{variable} holds an encrypted key: set {PASSPHRASE}") from None
        raise MedallionError(f"{PASSPHRASE} is set but the key in {variable} is not encrypted ({exc})") from None
    except ValueError as exc:
        if password is not None and "decrypt" in str(exc).lower():
            raise MedallionError(f"{PASSPHRASE} does not decrypt the key in {variable}") from None
        raise MedallionError(f"{variable} is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise MedallionError(f"{variable} holds a {type(key).__name__}; Snowflake key-pair sign-in needs an RSA key")
    return key


def check_resource(snowflake) -> None:
    """Read the key of a SnowflakeResource that signs in with one (nothing to do for a password)."""
    if snowflake.private_key or snowflake.private_key_path:
        load_private_key(snowflake.private_key, snowflake.private_key_path, snowflake.private_key_password)


def public_key_fingerprint(public_key) -> str:
    """'SHA256:<base64>' of the DER public key, as Snowflake shows it in DESC USER (RSA_PUBLIC_KEY_FP)."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def timeout_s(snowflake) -> int:
    """How long one request waits for an answer: the connector's socket timeout (its default is 60 s)."""
    extra = snowflake.additional_snowflake_connection_args or {}
    return int(extra.get("socket_timeout") or 60)


def where(snowflake) -> str:
    extra = snowflake.additional_snowflake_connection_args or {}
    return f" at {extra['host']}:{extra['port']}" if "host" in extra and "port" in extra else ""


def timed_out(exc: BaseException | None) -> bool:
    """The server took the request and never answered (frozen, overloaded): somewhere in the error's chain a
    read timed out. Never the same as a refused login."""
    seen = 0
    while exc is not None and seen < 20:
        if "timed out" in str(getattr(exc, "msg", "") or exc).lower():
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def first_line(exc) -> str:
    return (getattr(exc, "msg", None) or str(exc)).strip().splitlines()[0]


def login_error(snowflake, exc) -> MedallionError:
    """A sign-in that timed out is a frozen or overloaded server, never a refused login; others: sign_in_error.
    `snowflake`: a SnowflakeResource or a `SignIn`."""
    if timed_out(exc):
        return ServiceUnavailable(
            f"Snowflake{where(snowflake)} timed out after {timeout_s(snowflake)} s while signing in (running but "
            "not answering: frozen or overloaded)",
            service="Snowflake",
        )
    return sign_in_error(snowflake, exc)


def credential_variable(snowflake) -> str:
    """The environment variable holding the credential this resource (or `SignIn`) signs in with."""
    if snowflake.private_key_path:
        return KEY_PATH
    if snowflake.private_key:
        return KEY
    if method() == "password" or "snowflake" not in embedded_services():
        return PASSWORD
    return "the embedded password"


def sign_in_error(snowflake, exc) -> MedallionError:
    """A failed sign-in as one line: `ServiceUnavailable` when the warehouse could not be reached or answered with
    a server error (an outage: wait), `AccessRefused` when it answered no (a credential, a role, a network policy:
    someone must act)."""
    from snowflake.connector.errors import (
        BadGatewayError,
        ForbiddenError,
        InterfaceError,
        OperationalError,
        ServiceUnavailableError,
    )

    if isinstance(exc, OperationalError | InterfaceError | ServiceUnavailableError | BadGatewayError):
        return ServiceUnavailable(
            f"Snowflake is unreachable ({type(exc).__name__}: {first_line(exc)}); check SNOWFLAKE_ACCOUNT and the "
            "network, or run `medallion services up` for the embedded warehouse",
            service="Snowflake",
        )
    detail = re.sub(r"^(\d+( \(\w+\))?: )?(Failed to connect to DB: \S+\. )?", "", first_line(exc))
    code = f"{exc.errno}: " if exc.errno else ""
    if exc.errno in ROLE_NOT_GRANTED:
        fix = f"grant role {snowflake.role} to user {snowflake.user}, or fix SNOWFLAKE_ROLE"
    elif isinstance(exc, ForbiddenError):
        fix = "a network policy or firewall refuses this address; ask the account administrator"
    elif snowflake.private_key or snowflake.private_key_path:
        fix = (
            f"check SNOWFLAKE_USER and {credential_variable(snowflake)}, and that its public key is registered "
            "(ALTER USER ... SET RSA_PUBLIC_KEY, see docs)"
        )
    else:
        fix = f"check SNOWFLAKE_USER and {credential_variable(snowflake)}"
    return AccessRefused(f"Snowflake refused the sign-in ({code}{detail}): {fix}", service="Snowflake")


def _quiet_cancel_threads(args) -> None:
    """The connector cancels a statement that outlived `network_timeout` from a timer thread; on a frozen server
    that cancel request times out too and the thread dies with a traceback on stderr. The statement itself fails
    in the caller's thread with its own error, so the timer's failure is logged in one line instead."""
    from snowflake.connector._utils import _TrackedQueryCancellationTimer

    if isinstance(args.thread, _TrackedQueryCancellationTimer):
        _log.info("the warehouse did not answer a statement's cancel request: %s", str(args.exc_value)[:200])
        return
    _previous_hook(args)


_previous_hook = threading.excepthook
threading.excepthook = _quiet_cancel_threads
