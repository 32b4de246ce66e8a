"""How bronze sorts Kafka messages into rows and rejects (lib/bronze_loader.py), without Kafka or a warehouse."""

from __future__ import annotations

import pytest

from medallion_assets.lib.bronze_loader import REJECT_SCHEMA, ROW_SCHEMA, LoadBatch, classify


def test_tombstone_is_valid_with_no_text():
    assert classify(None) == (None, None)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (b'{"_id": "a", "price": 1.5}', '{"_id": "a", "price": 1.5}'),
        (b"{}", "{}"),
        ('{"city": "Hà Nội"}'.encode(), '{"city": "Hà Nội"}'),
        (b' \n{"a": [1, {"b": null}]}\t', ' \n{"a": [1, {"b": null}]}\t'),  # the text is kept as sent
    ],
)
def test_json_object_is_valid(value, text):
    assert classify(value) == (text, None)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"[1, 2]", "JSON list, not an object"),
        (b"7", "JSON int, not an object"),
        (b"3.5", "JSON float, not an object"),
        (b'"text"', "JSON str, not an object"),
        (b"true", "JSON bool, not an object"),
        (b"null", "JSON NoneType, not an object"),
    ],
)
def test_json_that_is_not_an_object_names_its_type(value, error):
    assert classify(value) == (value.decode(), error)


def test_invalid_utf8_names_the_byte_position_and_keeps_a_readable_text():
    # '{"a": "' is 7 bytes (positions 0..6), so the stray 0xff is byte 7
    assert classify(b'{"a": "\xff"}') == ('{"a": "\ufffd"}', "not UTF-8 text: invalid start byte at byte 7")
    # a multi-byte sequence cut short: 0xc3 starts a 2-byte character, '"' cannot continue it
    assert classify(b'{"x": "\xc3"}') == ('{"x": "\ufffd"}', "not UTF-8 text: invalid continuation byte at byte 7")
    assert classify(b"\x80") == ("\ufffd", "not UTF-8 text: invalid start byte at byte 0")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_constants_are_rejected(constant):
    text = f'{{"price": {constant}}}'
    assert classify(text.encode()) == (text, f"not JSON: {constant} is not valid JSON")


def test_malformed_json_gives_the_decoder_message():
    assert classify(b'{"a":') == ('{"a":', "not JSON: Expecting value: line 1 column 6 (char 5)")
    assert classify(b"") == ("", "not JSON: Expecting value: line 1 column 1 (char 0)")
    assert classify(b'{"a": 1} x') == ('{"a": 1} x', "not JSON: Extra data: line 1 column 10 (char 9)")
    assert classify(b"\xef\xbb\xbf{}") == (
        "\ufeff{}",
        "not JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
    )


def test_a_number_too_large_for_a_double_passes_today():
    # NOTE (left alone): 1e999 is valid JSON syntax, so it is accepted here, although Python reads it as
    # infinity, which the NaN/Infinity check exists to keep out; whether PARSE_JSON accepts it is up to
    # the warehouse
    assert classify(b'{"price": 1e999}') == ('{"price": 1e999}', None)


# --- LoadBatch ----------------------------------------------------------------------------------------


class FakeMessage:
    """The parts of a confluent_kafka.Message that LoadBatch reads."""

    def __init__(self, partition, offset, value, key=b"k", headers=None, timestamp=(1, 1_700_000_000_000)):
        self._partition, self._offset, self._value = partition, offset, value
        self._key, self._headers, self._timestamp = key, headers, timestamp

    def key(self):
        return self._key

    def value(self):
        return self._value

    def partition(self):
        return self._partition

    def offset(self):
        return self._offset

    def headers(self):
        return self._headers

    def timestamp(self):
        return self._timestamp


def test_load_batch_routes_rows_and_rejects_and_tracks_next_offsets():
    batch = LoadBatch("listings")
    messages = [
        FakeMessage(0, 10, b'{"_id": "a"}', key=b"a", headers=[("op", b"r")]),
        FakeMessage(1, 4, b"[1]", key=b"b", headers=[("op", b"u")]),
        FakeMessage(0, 11, None, key=b"c", headers=[("op", b"d")], timestamp=(1, 1_700_000_000_500)),
        FakeMessage(1, 5, b'{"_id": "d"}', key=None, headers=None, timestamp=(0, -1)),
        FakeMessage(0, 12, b"\xff", key=b"\xffe"),
        FakeMessage(2, 0, None, key=b"f", headers=None),
    ]
    for message in messages:
        batch.add(message)
    assert batch.rows == {
        # no key: the document's _id stands in for it
        "message_key": ["a", "c", "d", "f"],
        "raw_text": ['{"_id": "a"}', None, '{"_id": "d"}', None],
        # no op header: a tombstone is a delete, anything else an update
        "op": ["r", "d", "u", "d"],
        "kafka_topic": ["listings"] * 4,
        "kafka_partition": [0, 0, 1, 2],
        "kafka_offset": [10, 11, 5, 0],
        # timestamp type 0 (not available): no timestamp
        "kafka_timestamp": [1_700_000_000_000, 1_700_000_000_500, None, 1_700_000_000_000],
    }
    assert batch.rejects == {
        "message_key": ["b", "\ufffde"],
        "raw_text": ["[1]", "\ufffd"],
        "error": ["JSON list, not an object", "not UTF-8 text: invalid start byte at byte 0"],
        "kafka_topic": ["listings", "listings"],
        "kafka_partition": [1, 0],
        "kafka_offset": [4, 12],
    }
    assert batch.next_offsets == {0: 13, 1: 6, 2: 1}
    assert (batch.size, batch.row_count, batch.reject_count) == (6, 4, 2)
    assert list(batch.rows) == ROW_SCHEMA.names and list(batch.rejects) == REJECT_SCHEMA.names


def test_load_batch_next_offset_is_the_last_added_message_plus_one():
    batch = LoadBatch("t")
    for offset in (0, 1, 2):
        batch.add(FakeMessage(3, offset, b"{}"))
    assert batch.next_offsets == {3: 3}
    # a reject moves the position too: it is stored in BRONZE_REJECTS, not read again
    batch.add(FakeMessage(3, 3, b"nope"))
    assert batch.next_offsets == {3: 4}
    assert (batch.row_count, batch.reject_count, batch.size) == (3, 1, 4)


def test_load_batches_do_not_share_their_lists():
    first, second = LoadBatch("t"), LoadBatch("t")
    first.add(FakeMessage(0, 0, b"{}"))
    assert second.rows["kafka_offset"] == [] and second.next_offsets == {} and second.size == 0
