"""Run fakesnow's Snowflake HTTP API over one persistent DuckDB database.

Stock ``fakesnow -s`` keeps everything in memory; pointing the server's shared
instance at a folder lets every process (Dagster steps, tests, the CLI) see the
same databases, and keeps them across restarts.

fakesnow keeps each database in ``<db-path>/<NAME>.db`` but attaches a file only
when a connection names that database or runs ``CREATE DATABASE``; after a restart
``SELECT ... FROM RAW_DB.LANDING.T`` would fail with "schema does not exist". So
the launcher attaches every persisted database before the server accepts requests.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def persisted_databases(db_path: str | Path) -> list[str]:
    """Names of the databases fakesnow has written under ``db_path`` (one ``NAME.db`` file each)."""
    return sorted(p.stem for p in Path(db_path).glob("*.db") if p.is_file() and p.stem.isidentifier())


def attach_persisted(fs, db_path: str | Path) -> list[str]:
    """Attach every persisted database to the shared instance, as a connection naming it would."""
    names = persisted_databases(db_path)
    conn = fs.connect()
    try:
        for name in names:
            # fakesnow turns this into ATTACH '<db-path>/<name>.db' plus its per-database
            # information_schema views and macros; quoted, so the file's exact name is kept
            conn.cursor().execute(f'CREATE DATABASE IF NOT EXISTS "{name}"')
    finally:
        conn.close()
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-path", required=True, help="folder for the DuckDB database files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    from medallion_assets.dev import fakesnow_auth, fakesnow_patches

    fakesnow.server.shared_fs = FakeSnow(db_path=args.db_path)
    fakesnow_patches.apply(fakesnow.server.shared_fs, args.db_path)
    attach_persisted(fakesnow.server.shared_fs, args.db_path)
    fakesnow_auth.install(fakesnow.server.app, args.db_path)  # registered users only, by password or key pair
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)
    uvicorn.run(fakesnow.server.app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
