"""MongoDB source of the listings, through pymongo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import bson
import dagster as dg
import pymongo
from pydantic import Field
from pymongo.collection import Collection
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError

from medallion_assets.lib.errors import AccessRefused, MedallionError, ServiceUnavailable


def redact_uri(uri: str) -> str:
    """The URI without user and password, fit for logs and error messages."""
    parts = urlsplit(uri)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


# MongoDB's error codes for a credential it refused (AuthenticationFailed) and for a missing privilege (Unauthorized)
AUTHENTICATION_FAILED = 18
UNAUTHORIZED = 13
REFUSED_CODES = (AUTHENTICATION_FAILED, UNAUTHORIZED)


def refused(uri: str, exc: OperationFailure, what: str = "") -> MedallionError:
    """A server that answered no, as one line naming the credential or the missing privilege (never an outage)."""
    if exc.code == AUTHENTICATION_FAILED:
        return AccessRefused(
            f"MongoDB at {redact_uri(uri)} refused the sign-in (AuthenticationFailed): check the user, password and "
            "authSource in MONGO_URI",
            service="MongoDB",
        )
    if exc.code == UNAUTHORIZED:
        return AccessRefused(
            f"MongoDB at {redact_uri(uri)} refused {what or 'a command'} (Unauthorized: "
            f"{str(exc.details.get('errmsg', '') if exc.details else '')[:200]}): grant the MONGO_URI user the read "
            "role on that database (changeStream and find)",
            service="MongoDB",
        )
    return MedallionError(f"MongoDB at {redact_uri(uri)} failed: {str(exc).splitlines()[0][:300]}")


class MongoResource(dg.ConfigurableResource):
    """The source collection (MONGO_URI, MONGO_DATABASE, MONGO_COLLECTION)."""

    uri: str = Field(description="MongoDB connection string; secret, set through MONGO_URI.")
    database: str = Field(default="Bigdata", description="Database holding the listings.")
    collection: str = Field(default="details", description="Collection holding the listings.")
    server_selection_timeout_ms: int = Field(default=5000)

    @property
    def source_name(self) -> str:
        return f"mongodb:{self.database}.{self.collection}"

    @contextmanager
    def get_collection(self) -> Iterator[Collection]:
        if not self.uri.startswith(("mongodb://", "mongodb+srv://")):
            raise MedallionError("MONGO_URI must start with mongodb:// or mongodb+srv://")
        try:
            client = pymongo.MongoClient(
                self.uri, serverSelectionTimeoutMS=self.server_selection_timeout_ms, tz_aware=False
            )
        except ConfigurationError as exc:
            raise MedallionError(f"MONGO_URI is invalid: {exc}") from None
        try:
            try:
                client.admin.command("ping")
            except OperationFailure as exc:
                raise refused(self.uri, exc) from None
            except PyMongoError as exc:
                raise ServiceUnavailable(
                    f"MongoDB at {redact_uri(self.uri)} is unreachable ({type(exc).__name__}); "
                    "check MONGO_URI, or run `medallion services up` for the embedded server",
                    service="MongoDB",
                ) from None
            try:
                yield client[self.database][self.collection]
            except OperationFailure as exc:
                if exc.code in REFUSED_CODES:
                    raise refused(self.uri, exc, f"{self.database}.{self.collection}") from None
                raise
        finally:
            client.close()


def event_time_ms(event: dict) -> int | None:
    """When a change-stream event happened at the source, as epoch milliseconds: its wallTime (a UTC date), else
    its clusterTime (a BSON Timestamp of whole seconds on MongoDB; a UTC date on nx-27017); None without either."""
    for field_name in ("wallTime", "clusterTime"):
        value = event.get(field_name)
        if isinstance(value, dt.datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
            return (aware - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)
        if isinstance(value, bson.Timestamp):
            return value.time * 1000
    return None
