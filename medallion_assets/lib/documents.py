"""Documents as Kafka messages: the key (the document id as text) and the value (the document as JSON)."""

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal

from bson import ObjectId
from bson.decimal128 import Decimal128


def _json_default(value):
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat() if value.tzinfo is None else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def document_key(document_id) -> str:
    """The message key, one per distinct MongoDB `_id`: an ObjectId as its hex string, a string as itself, any
    other id as "~<kind>:<JSON text>" (a string that itself starts with "~" as "~str:<string>").

    MongoDB keeps the int 42 and the string "42" as two documents, so they get two keys ("~num:42" and "42");
    numbers equal in value (42, 42.0, Int64(42)) are one `_id` in MongoDB and get one key.
    """
    if isinstance(document_id, ObjectId):
        return str(document_id)
    if isinstance(document_id, str):
        return f"~str:{document_id}" if document_id.startswith("~") else document_id
    if isinstance(document_id, bool):
        return f"~bool:{json.dumps(document_id)}"
    if isinstance(document_id, Decimal128 | Decimal):
        number = document_id.to_decimal() if isinstance(document_id, Decimal128) else document_id
        if number.is_finite():
            return f"~num:{int(number)}" if number == number.to_integral_value() else f"~num:{float(number)!r}"
    if isinstance(document_id, int | float):
        if isinstance(document_id, float) and document_id.is_integer():
            document_id = int(document_id)
        return f"~num:{json.dumps(document_id)}"
    if isinstance(document_id, dt.datetime):
        return f"~date:{_json_default(document_id)}"
    kind = "doc" if isinstance(document_id, dict) else type(document_id).__name__.lower()
    return f"~{kind}:{json.dumps(document_id, default=_json_default, sort_keys=True)}"


def document_json(document: dict) -> bytes:
    """The message value: the document as JSON, `_id` as the same text as the key."""
    body = {**document, "_id": document_key(document["_id"])}
    return json.dumps(body, default=_json_default, ensure_ascii=False, allow_nan=False).encode()
