"""RSA key pairs for the key-pair sign-in tests, generated per test (never stored)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def key_pair(passphrase: str | None = None) -> tuple[str, str]:
    """(private key PEM in PKCS#8, encrypted with `passphrase` when given; public key PEM), as `openssl genrsa` +
    `openssl pkcs8 -topk8` + `openssl rsa -pubout` make them for Snowflake."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
