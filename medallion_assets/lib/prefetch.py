"""Read ahead: a background thread pulls an iterator's items into a bounded queue while the caller works.

Ingestion uses it so MongoDB is read while the previous batches are produced and acknowledged: the
reader never waits for the broker, and the caller still sees the items in their order, each once, and
the reader's exception (e.g. a `PyMongoError`, `HistoryLost`) at the point it happened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_END = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


@contextmanager
def read_ahead(items: Iterator, depth: int, name: str = "read-ahead") -> Iterator[Iterator]:
    """Yield an iterator over `items` that a thread fills at most `depth` items ahead of the caller.

    Leaving the block (normally or by an exception) stops the thread and waits for it, closing `items`
    in that thread when it is a generator: nothing keeps reading from a connection the caller closes next.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller, raised there
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=fill, name=name, daemon=True)

    def drain() -> Iterator:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    thread.start()
    try:
        yield drain()
    finally:
        stop.set()
        thread.join()


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def documents_ahead(documents: Iterator[dict], chunk: int = 1000, depth: int = 2) -> Iterator[Iterator[dict]]:
    """The documents of a MongoDB cursor, fetched by a thread up to `depth` chunks of `chunk` ahead: the
    server prepares the next batch while the caller encodes this one. Only for reads whose position comes
    from the documents themselves (a snapshot's last `_id`, a watermark), never a change stream's token."""
    with read_ahead(_chunks(documents, chunk), depth, name="mongodb-documents") as chunks:
        yield (document for part in chunks for document in part)
