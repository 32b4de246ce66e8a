"""The lakehouse group, loaded only when the lakehouse is enabled (lib/iceberg_catalog.lakehouse_enabled: always
locally, in production only with MEDALLION_ICEBERG_CATALOG_URI set), with its `lakehouse` resource."""

import dagster as dg

from medallion_assets.defs.lakehouse.assets import build_assets
from medallion_assets.defs.lakehouse.checks import build_all_checks
from medallion_assets.lib.iceberg_catalog import lakehouse_enabled, lakehouse_resource


@dg.definitions
def lakehouse() -> dg.Definitions:
    if not lakehouse_enabled():
        return dg.Definitions()
    return dg.Definitions(
        assets=build_assets(), asset_checks=build_all_checks(), resources={"lakehouse": lakehouse_resource()}
    )
