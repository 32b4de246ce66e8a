"""How bronze sorts Kafka messages into rows and rejects (lib/bronze_loader.py), without Kafka or a warehouse."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
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


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"price": 1, "price": 2}', "price"),
        ('{"a": {"b": [{"c": 1}, {"price": 1, "x": 0, "price": 1}]}}', "price"),  # nested, same value
        ('{"Mức giá": "1 tỷ", "Mức giá": "2 tỷ"}', "Mức giá"),
        ('{"h\\u00e0": 1, "hà": 2}', "hà"),  # the same key, once escaped
        ('{"": 1, "": 2}', ""),
    ],
)
def test_duplicate_key_at_any_depth_is_rejected_naming_the_key(text, key):
    # Snowflake's PARSE_JSON refuses duplicate keys (Python keeps the last): one such message would fail
    # the COPY of its whole batch on every run
    assert classify(text.encode()) == (text, f'duplicate key "{key}" in a JSON object')


def test_same_key_in_different_objects_is_not_a_duplicate():
    text = '{"a": {"price": 1}, "b": {"price": 2}, "c": [{"price": 3}, {"price": 4}], "price": 5}'
    assert classify(text.encode()) == (text, None)


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("1e999", "number 1e999 is out of range for a double"),
        ("-1.5E+400", "number -1.5E+400 is out of range for a double"),
        ("9" * 400, f"number {'9' * 40}... (400 digits) is out of range for a double"),
        ("9" * 5000, f"number {'9' * 40}... (5000 digits) is out of range for a double"),
        # no run of 300 digits and a two-digit exponent, still beyond a double: classify's fast path must not skip it
        ("9" * 299 + "e99", f"number {'9' * 40} is out of range for a double"),
        ("9" * 250 + "." + "9" * 40 + "E+99", f"number {'9' * 40} is out of range for a double"),
    ],
)
def test_a_number_too_large_for_a_double_is_rejected(number, error):
    # Python reads 1e999 as infinity (the value the NaN/Infinity rule keeps out) and huge integers exactly;
    # PARSE_JSON stores numbers beyond NUMBER(38) as DOUBLE, which cannot hold them
    text = f'{{"price": {number}}}'
    assert classify(text.encode()) == (text, error)


@pytest.mark.parametrize(
    "number",
    ["1e-999", "1.7976931348623157e308", "-1e308", "9" * 300, "123456789012345678901234567890123456789012"],
)
def test_numbers_a_double_can_hold_pass(number):
    # underflow reads as 0 in both; integers past 38 digits become an inexact DOUBLE in PARSE_JSON, as
    # silver reads every number anyway
    text = f'{{"price": {number}}}'
    assert classify(text.encode()) == (text, None)


def test_nesting_too_deep_for_the_parser_is_a_reject_not_a_crash():
    # In a process of its own: after the RecursionError that classify catches, CPython 3.11 can leave its
    # recursion bookkeeping off, and a later ast.parse in the same process (tests/unit/test_layout.py)
    # fails with "AST constructor recursion depth mismatch".
    script = (
        "import json, sys\n"
        "from medallion_assets.lib.bronze_loader import classify\n"
        "text = '{\"a\": ' + '[' * 100_000 + ']' * 100_000 + '}'\n"
        "result = classify(text.encode())\n"
        "print(json.dumps([result[0] == text, result[1]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, "not JSON: nested too deeply"]


def test_an_escaped_unpaired_surrogate_is_rejected_and_a_pair_passes():
    lone = '{"a": ["x", {"b": "\\udc00 tail"}]}'
    assert classify(lone.encode()) == (lone, "string with an unpaired surrogate \\udc00, not Unicode text")
    key = '{"\\uD800": 1}'
    assert classify(key.encode()) == (key, "string with an unpaired surrogate \\ud800, not Unicode text")
    pair = '{"emoji": "\\ud83d\\ude00"}'
    assert classify(pair.encode()) == (pair, None)


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
        # the message's bytes, checked as UTF-8 JSON (the Arrow column is a string)
        "raw_text": [b'{"_id": "a"}', None, b'{"_id": "d"}', None],
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
    # the Arrow table bronze stages reads the bytes as text
    assert pa.table(batch.rows, schema=ROW_SCHEMA).column("raw_text").to_pylist() == [
        '{"_id": "a"}',
        None,
        '{"_id": "d"}',
        None,
    ]


def test_load_batch_keeps_non_ascii_text_exactly():
    text = '{"_id": "x", "district": "Nhà Bè", "location": "Hẻm 284/23 Nguyễn Huệ"}'
    batch = LoadBatch("t")
    batch.add(FakeMessage(0, 0, text.encode()))
    assert pa.table(batch.rows, schema=ROW_SCHEMA).column("raw_text").to_pylist() == [text]


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
