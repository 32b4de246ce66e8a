"""Sign-in on the embedded warehouse as Snowflake does it: a registered user, by password or by key pair.

Stock fakesnow accepts any login. The launcher (dev/fakesnow_server.py) puts this check in front of its login
endpoint when the data folder holds a user registry, `users.json`:

    {"MEDALLION": {"password": "embedded", "rsa_public_keys": ["MIIBIjANBgkq..."]}}

(user names upper-case, as Snowflake stores them; public keys as `ALTER USER ... SET RSA_PUBLIC_KEY` takes them:
the base64 body of the PEM). A password sign-in must match the password; a key-pair sign-in (the connector's
SNOWFLAKE_JWT authenticator) must carry a JWT signed with RS256 by the private half of a registered key, whose
`iss` is `<ACCOUNT>.<USER>.SHA256:<fingerprint of that public key>`, `sub` is `<ACCOUNT>.<USER>`, and that has not
expired, as Snowflake documents for key-pair authentication. Refusals answer with Snowflake's codes (390100
incorrect username or password, 390144 JWT token is invalid), so the connector raises what it raises against
Snowflake. The registry is read on every login: tests register keys while the server runs. Without a registry
every login is accepted (stock behaviour). Local only.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

REGISTRY = "users.json"
INCORRECT_CREDENTIALS = ("390100", "Incorrect username or password was specified.")
INVALID_JWT = ("390144", "JWT token is invalid.")


def registry_path(db_path: str | Path) -> Path:
    return Path(db_path) / REGISTRY


def register(db_path: str | Path, user: str, password: str | None = None, public_key_pem: str | None = None) -> None:
    """Add or update a user (a password, and/or one more public key), as CREATE USER / ALTER USER would."""
    path = registry_path(db_path)
    users = json.loads(path.read_text()) if path.exists() else {}
    entry = users.setdefault(user.upper(), {})
    if password is not None:
        entry["password"] = password
    if public_key_pem is not None:
        body = "".join(line for line in public_key_pem.strip().splitlines() if not line.startswith("-----"))
        entry.setdefault("rsa_public_keys", []).append(body)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(users, indent=2))
    tmp.replace(path)


def _fingerprint(der: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def refusal(users: dict, data: dict) -> tuple[str, str] | None:
    """None when the login request's `data` signs in a registered user, else Snowflake's (code, message)."""
    user = str(data.get("LOGIN_NAME", "")).upper()
    account = str(data.get("ACCOUNT_NAME", "")).upper().split(".")[0]
    entry = users.get(user)
    if entry is None:
        return INCORRECT_CREDENTIALS
    if str(data.get("AUTHENTICATOR", "")).upper() == "SNOWFLAKE_JWT":
        return None if _jwt_valid(entry, account, user, str(data.get("TOKEN", ""))) else INVALID_JWT
    if "password" in entry and data.get("PASSWORD") == entry["password"]:
        return None
    return INCORRECT_CREDENTIALS


def _jwt_valid(entry: dict, account: str, user: str, token: str) -> bool:
    import jwt
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    for body in entry.get("rsa_public_keys", []):
        der = base64.b64decode(body)
        try:
            claims = jwt.decode(
                token, load_der_public_key(der), algorithms=["RS256"], options={"require": ["iss", "sub", "exp"]}
            )
        except jwt.PyJWTError:
            continue
        if claims["sub"] == f"{account}.{user}" and claims["iss"] == f"{account}.{user}.{_fingerprint(der)}":
            return True
    return False


def install(app, db_path: str | Path) -> None:
    """Put the check in front of the login endpoint of fakesnow's Starlette `app`."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route, request_response

    registry = registry_path(db_path)
    (route,) = [r for r in app.routes if isinstance(r, Route) and r.path == "/session/v1/login-request"]
    original = route.endpoint

    async def login_request(request):
        if registry.exists():
            body = await request.body()  # Starlette keeps it: the original handler reads the same bytes
            if request.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            refused = refusal(json.loads(registry.read_text()), json.loads(body)["data"])
            if refused is not None:
                code, message = refused
                return JSONResponse({"data": None, "code": code, "message": message, "success": False})
        return await original(request)

    route.endpoint = login_request
    route.app = request_response(login_request)
