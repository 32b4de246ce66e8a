"""Listing history (type 2): every version a listing ever had, built incrementally from bronze.

Why from bronze: silver keeps only the latest version of a listing, but bronze holds every message the source
sent, in Kafka order. Why positions of its own (GOLD_LISTING_HISTORY_POSITIONS, like SILVER_WATERMARK): the
history reads only the messages it has not seen, whatever silver did meanwhile, and a full rebuild forgets them.

A run pins the range to read, computes the new versions into a work table (sql/gold/history_stage.sql: the
documents parsed by the same fragment as silver's, re-sends dropped, change types, event times, validity
intervals), then closes each listing's previous last version, inserts the new ones and moves its positions in
ONE transaction (plain UPDATE and INSERT, no MERGE, so the embedded warehouse runs it as one too). A crash before
that transaction leaves everything as it was and the rerun recomputes the same versions; after it, the rerun
finds nothing new. A rerun over the same bronze changes nothing.
"""

from medallion_assets.lib import warehouse
from medallion_assets.lib.silver import ints

HISTORY_TABLE = "ANALYTICS_DB.DWH.GOLD_LISTING_HISTORY"
CHANGE_TYPES = ("listed", "repriced", "changed", "delisted", "relisted")
EVENT_TIME_SOURCES = ("updated_at", "kafka_timestamp", "ingested_at")


# The history materialization's metadata key listing the event days its new versions fall on.
EVENT_DAYS_KEY = "event_days"


def refresh_history(conn, full_refresh: bool = False) -> dict:
    """Add the versions of the bronze messages above the history's positions; returns the run's counts.

    Counts: messages_in, ids_in, tombstones_in (the pinned range), versions_added, versions_closed, and the
    table afterwards (history_rows, listings, current_versions, per change type); event_days: the event days
    (YYYY-MM-DD, UTC) of the versions added, which the pulse may have to rebuild.
    """
    if full_refresh:  # e.g. after a parsing rule changed: rebuild from all of bronze
        with warehouse.transaction(conn):
            warehouse.execute(conn, "gold/history_reset")
            warehouse.execute(conn, "gold/history_clear")
    with warehouse.transaction(conn):
        warehouse.execute(conn, "gold/history_register_partitions")
        warehouse.execute(conn, "gold/history_mark_pending")
    batch = ints(warehouse.fetch_one(conn, "gold/history_batch_stats"))
    warehouse.execute(conn, "gold/history_clear_batch")  # leftovers of a run that died mid-way
    event_days: list[str] = []
    if batch["messages_in"]:
        # current versions hashed before version_hash had explicit formats: rehashed once, so they compare
        warehouse.execute(conn, "gold/history_rehash")
        warehouse.execute(conn, "gold/history_stage")
        event_days = [str(r["event_day"]) for r in warehouse.fetch_all(conn, "gold/history_batch_days")]
    with warehouse.transaction(conn):
        closed = warehouse.dml_counts(warehouse.execute(conn, "gold/history_close_versions"))["updated"]
        added = warehouse.dml_counts(warehouse.execute(conn, "gold/history_insert_versions"))["inserted"]
        warehouse.execute(conn, "gold/history_advance_positions")
        warehouse.execute(conn, "gold/history_clear_batch")
    return {**batch, "versions_added": added, "versions_closed": closed, "event_days": event_days, **summary(conn)}


def summary(conn) -> dict[str, int]:
    """The table as a whole: rows, listings, current versions, rows per change type."""
    return ints(warehouse.fetch_one(conn, "gold/history_summary"))


# The views over the history (ANALYTICS_DB.SEMANTIC): key -> (view, upstream assets, description).
HISTORY_VIEWS = {
    "v_price_changes": (
        "ANALYTICS_DB.SEMANTIC.V_PRICE_CHANGES",
        ["gold_listing_history"],
        "Every repricing of a listing: when (event time), old and new price, the change in VND and in %.",
    ),
    "v_days_on_market": (
        "ANALYTICS_DB.SEMANTIC.V_DAYS_ON_MARKET",
        ["gold_listing_history"],
        "Per listing: first listed, delisted or still active, days on market, price changes and total change in %.",
    ),
}


def refresh_views(conn) -> dict[str, int]:
    """(Re)create the history views; returns the rows each one shows now."""
    for key in HISTORY_VIEWS:
        warehouse.execute(conn, f"semantic/{key}")
    return count_views(conn)


def count_views(conn) -> dict[str, int]:
    """The rows each history view shows now."""
    return ints(warehouse.fetch_one(conn, "semantic/history_counts"))
