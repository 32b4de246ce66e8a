"""Run fakesnow's Snowflake HTTP API over one persistent DuckDB database.

Stock ``fakesnow -s`` keeps everything in memory; pointing the server's shared
instance at a folder lets every process (Dagster steps, tests, the CLI) see the
same databases, and keeps them across restarts.
"""

from __future__ import annotations

import argparse
import logging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-path", required=True, help="folder for the DuckDB database files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    from medallion_assets.dev import fakesnow_patches

    fakesnow.server.shared_fs = FakeSnow(db_path=args.db_path)
    fakesnow_patches.apply(fakesnow.server.shared_fs)
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)
    uvicorn.run(fakesnow.server.app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
