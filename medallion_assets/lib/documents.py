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
    """The message key: an ObjectId as its hex string, anything else as its JSON text."""
    if isinstance(document_id, ObjectId):
        return str(document_id)
    if isinstance(document_id, str):
        return document_id
    return json.dumps(document_id, default=_json_default, sort_keys=True)


def document_json(document: dict) -> bytes:
    """The message value: the document as JSON, `_id` as the same text as the key."""
    body = {**document, "_id": document_key(document["_id"])}
    return json.dumps(body, default=_json_default, ensure_ascii=False, allow_nan=False).encode()
