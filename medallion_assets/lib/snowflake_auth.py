"""How the project signs in to Snowflake: a key pair for services, a password for people.

Snowflake has been removing single-factor password sign-in (service users first, every user by October 2026), so a
deployment signs in with a key pair: the private key in SNOWFLAKE_PRIVATE_KEY (PEM text, or that text base64-encoded)
or in a file named by SNOWFLAKE_PRIVATE_KEY_PATH, with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE when the key is encrypted,
and the public key registered on the user (`ALTER USER ... SET RSA_PUBLIC_KEY`). SNOWFLAKE_PASSWORD still works for
a person's own runs where their account allows it. The connector (through dagster-snowflake) does the signing; this
module only picks the fields and reads the key once up front, so a bad one stops with one line naming its variable.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from medallion_assets.lib.errors import MedallionError
from medallion_assets.lib.settings import is_set

KEY = "SNOWFLAKE_PRIVATE_KEY"
KEY_PATH = "SNOWFLAKE_PRIVATE_KEY_PATH"
PASSPHRASE = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
PASSWORD = "SNOWFLAKE_PASSWORD"
CREDENTIALS = (KEY, KEY_PATH, PASSWORD)


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
