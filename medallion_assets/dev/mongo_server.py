"""Run the embedded MongoDB (nx-27017) with its change stream decoding documents as MongoDB does.

nx-27017 stores each document as JSON with BSON types in extended form (``{"$date": ...}``) and its
`find` decodes them back, but its change stream hands out ``fullDocument`` through plain ``json.loads``:
a date in an updated document arrives as the dict ``{"$date": "2025-06-07T00:00:00"}`` instead of a
datetime. Real MongoDB sends the same BSON types in a change event as in a query, so ingestion would
ship a different document for the same listing depending on whether it was read by the snapshot or
the stream (silver then lost the posted date of every structured listing repriced through the stream).
The fix decodes the change stream's documents with the same decoder `find` uses. Local only.
"""

from __future__ import annotations

import sys
import types


def decode_change_documents() -> None:
    """Make nx-27017's change stream decode ``fullDocument`` with neosqlite's own JSON decoder."""
    import nx_27017.changestream as changestream
    from neosqlite.collection.json_helpers import neosqlite_json_loads

    if getattr(changestream.json, "medallion_patched", False):
        return
    patched = types.SimpleNamespace(**{name: getattr(changestream.json, name) for name in dir(changestream.json)})
    patched.loads = neosqlite_json_loads
    patched.medallion_patched = True
    changestream.json = patched


def main() -> int:
    decode_change_documents()
    from nx_27017.nx_27017 import main as server_main

    sys.argv[0] = "nx-27017"
    return server_main()


if __name__ == "__main__":
    sys.exit(main())
