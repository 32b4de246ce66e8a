"""lib/prefetch.read_ahead: order, bound, the reader's exception, and stopping the reader early."""

import threading
import time

import pytest

from medallion_assets.lib.prefetch import read_ahead


class Boom(Exception):
    pass


def test_every_item_once_in_order():
    with read_ahead(iter(range(1000)), depth=3) as ahead:
        assert list(ahead) == list(range(1000))


def test_the_reader_stays_at_most_depth_items_ahead():
    produced = []

    def items():
        for i in range(50):
            produced.append(i)
            yield i

    with read_ahead(items(), depth=4) as ahead:
        first = next(ahead)
        time.sleep(0.3)  # time enough for the reader to run ahead as far as it may
        # 4 in the queue, plus the one the reader holds while it waits for room
        assert first == 0 and len(produced) == 1 + 4 + 1


def test_the_readers_exception_comes_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise Boom("source went away")

    seen = []
    with pytest.raises(Boom, match="source went away"), read_ahead(items(), depth=10) as ahead:
        for item in ahead:
            seen.append(item)
    assert seen == [1, 2]


def test_leaving_early_stops_the_reader_and_closes_the_generator_in_its_thread():
    closed_in = []

    def items():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed_in.append(threading.current_thread().name)

    with pytest.raises(Boom), read_ahead(items(), depth=2, name="reader-under-test") as ahead:
        for item in ahead:
            if item == 5:
                raise Boom("the broker refused")
    assert closed_in == ["reader-under-test"]
    assert not any(t.name == "reader-under-test" for t in threading.enumerate())


def test_depth_below_one_is_refused():
    with pytest.raises(ValueError, match="depth must be at least 1"), read_ahead(iter([]), depth=0):
        pass


def test_documents_ahead_keeps_the_order_across_chunks():
    from medallion_assets.lib.prefetch import documents_ahead

    documents = [{"_id": i} for i in range(2503)]
    with documents_ahead(iter(documents), chunk=1000, depth=2) as ahead:
        assert list(ahead) == documents
