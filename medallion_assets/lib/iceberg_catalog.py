"""Where the lakehouse lives: the Iceberg catalog and the warehouse location of its data files.

- Local (`MEDALLION_ENV=local`, no `MEDALLION_ICEBERG_CATALOG_URI`): a SQL catalog in SQLite at
  `$MEDALLION_HOME/lakehouse/catalog.db`, data and metadata files in the bucket `medallion-lakehouse` of the
  embedded S3 (localbucket, the port `medallion services up` recorded), so the object-store code path is the
  one that runs.
- Configured (`MEDALLION_ICEBERG_CATALOG_URI` set, in either environment): a REST catalog when the URI is
  `http(s)://...`, else a SQL catalog on that SQLAlchemy URL (e.g. `postgresql+psycopg2://...`);
  `MEDALLION_ICEBERG_WAREHOUSE` (`s3://bucket/prefix`, `gs://...`, `abfss://...`) is then required. Object-store
  credentials come from the standard variables the store's client reads (`AWS_ACCESS_KEY_ID`,
  `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `GOOGLE_APPLICATION_CREDENTIALS`, ...); `MEDALLION_ICEBERG_PROPERTIES`
  (a JSON object) passes any further pyiceberg catalog/FileIO property, such as `s3.endpoint`.
- Production without `MEDALLION_ICEBERG_CATALOG_URI`: the lakehouse group is not loaded at all (publishing is
  off, said in the README), so a deployment that has no lakehouse keeps working; with it set, a missing
  warehouse stops the code location with one line naming it.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from pydantic import Field

from medallion_assets.lib.errors import MedallionError, ServiceUnavailable
from medallion_assets.lib.settings import Ports, environment, is_set, medallion_home, value

NAMESPACE = "medallion"
LOCAL_BUCKET = "medallion-lakehouse"
CATALOG_URI = "MEDALLION_ICEBERG_CATALOG_URI"
WAREHOUSE = "MEDALLION_ICEBERG_WAREHOUSE"
PROPERTIES = "MEDALLION_ICEBERG_PROPERTIES"
TOKEN = "MEDALLION_ICEBERG_CATALOG_TOKEN"
VARIABLES = (CATALOG_URI, WAREHOUSE, PROPERTIES, TOKEN)


def lakehouse_enabled() -> bool:
    """Local: always (embedded unless configured). Production: only with a catalog configured."""
    return environment() == "local" or is_set(CATALOG_URI)


class LakehouseResource(dg.ConfigurableResource):
    """An Iceberg catalog (SQL or REST) and the warehouse location its tables are written under."""

    catalog_uri: str = Field(description="SQLAlchemy URL of a SQL catalog, or http(s):// URL of a REST catalog")
    warehouse: str = Field(description="where table data and metadata files go, e.g. s3://bucket/prefix")
    namespace: str = NAMESPACE
    properties: str = Field(default="{}", description="further pyiceberg catalog/FileIO properties, a JSON object")
    token: str = Field(default="", description="bearer token of a REST catalog")

    def catalog_properties(self) -> dict[str, str]:
        try:
            extra = json.loads(self.properties or "{}")
        except ValueError as exc:
            raise MedallionError(f"{PROPERTIES} is not valid JSON ({exc})") from None
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise MedallionError(f'{PROPERTIES} must be a JSON object of strings, e.g. {{"s3.region": "eu-west-1"}}')
        props = {"uri": self.catalog_uri, "warehouse": self.warehouse, **extra}
        if self.token:
            props["token"] = self.token
        if not self.catalog_uri.startswith(("http://", "https://")):
            props.setdefault("py-io-impl", "pyiceberg.io.pyarrow.PyArrowFileIO")
        return props

    def catalog(self):
        """The catalog, with the namespace created when missing."""
        props = self.catalog_properties()
        if self.catalog_uri.startswith("sqlite:///"):  # a local catalog file: its folder must exist
            Path(self.catalog_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.catalog_uri.startswith(("http://", "https://")):
                from pyiceberg.catalog.rest import RestCatalog

                catalog = RestCatalog(NAMESPACE, **props)
            else:
                from pyiceberg.catalog.sql import SqlCatalog

                catalog = SqlCatalog(NAMESPACE, **props)
            catalog.create_namespace_if_not_exists(self.namespace)
        except MedallionError:
            raise
        except ImportError as exc:  # e.g. a postgresql:// catalog without its database driver: not an outage
            raise MedallionError(
                f"the Iceberg catalog at {_redacted(self.catalog_uri)} needs a Python package that is not "
                f"installed ({type(exc).__name__}: {exc}); install it next to pyiceberg"
            ) from None
        except Exception as exc:  # the catalog's own errors: connection, auth, bad URL
            raise ServiceUnavailable(
                f"the Iceberg catalog at {_redacted(self.catalog_uri)} cannot be used "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                service="Iceberg catalog",
            ) from None
        return catalog


def _redacted(uri: str) -> str:
    """A catalog URL without the password it may carry."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return uri


def embedded_lakehouse(home=None, s3_port: int | None = None) -> LakehouseResource:
    """The local lakehouse: SQLite catalog under $MEDALLION_HOME, files on the embedded S3."""
    home = home or medallion_home()
    port = s3_port or Ports.configured().s3
    properties = {
        "s3.endpoint": f"http://127.0.0.1:{port}",
        "s3.access-key-id": "local",
        "s3.secret-access-key": "local",
        "s3.region": "us-east-1",
    }
    return LakehouseResource(
        catalog_uri=f"sqlite:///{home / 'lakehouse' / 'catalog.db'}",
        warehouse=f"s3://{LOCAL_BUCKET}/",
        properties=json.dumps(properties),
    )


def lakehouse_resource() -> LakehouseResource:
    """From the environment: configured when MEDALLION_ICEBERG_CATALOG_URI is set, else embedded (local only)."""
    if not is_set(CATALOG_URI):
        if environment() == "production":
            raise MedallionError(f"the lakehouse needs {CATALOG_URI} and {WAREHOUSE} in production (see .env.example)")
        return embedded_lakehouse()
    if not is_set(WAREHOUSE):
        raise MedallionError(f"{CATALOG_URI} is set, so {WAREHOUSE} must be set too (see .env.example)")
    return LakehouseResource(
        catalog_uri=dg.EnvVar(CATALOG_URI),  # may carry a password
        warehouse=value(WAREHOUSE),
        properties=dg.EnvVar(PROPERTIES) if is_set(PROPERTIES) else "{}",
        token=dg.EnvVar(TOKEN) if is_set(TOKEN) else "",
    )
