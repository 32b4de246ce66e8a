"""Run the embedded S3 (localbucket) with conditional writes as Amazon S3 has them.

localbucket 1.2.1 honours ``If-None-Match: *`` on PutObject but ignores ``If-Match``: a write meant
to replace one version of an object replaces whatever is there. S3 refuses it with 412
PreconditionFailed when the object's ETag has moved on (conditional writes, since 2024), and the
Kafka broker relies on that. tansu's S3 storage keeps every producer's id and sequences in one
object (``clusters/<cluster>/meta.json``) and each partition's next offset in another
(``watermark.json``), updated by read, modify, write-if-unchanged, retried on 412. Without the
412 two producers initialising at the same moment both "win", one producer id is lost, and that
producer's every batch is refused with UnknownProducerId until librdkafka gives up ("Local:
Message timed out"); two batches written at once could be given the same offset. Measured here:
6 idempotent producers started together, 4 of them failed, every round.

The fix checks ``If-Match`` against the object's current ETag and writes, atomically per key, and
sends an object's content and ETag from the same version (localbucket hashed the path after opening
the file, so a write in between paired old content with the new ETag).
Local only: production brokers and object stores have their own.
"""

from __future__ import annotations

import sys
import threading
import zlib
from http import HTTPStatus

_STRIPES = [threading.Lock() for _ in range(64)]  # writes to one key are serialised, other keys run on


def _lock_for(bucket: str, key: str) -> threading.Lock:
    return _STRIPES[zlib.crc32(f"{bucket}/{key}".encode()) % len(_STRIPES)]


def honour_if_match() -> None:
    """Make localbucket's object writes refuse a stale ``If-Match`` with 412, as S3 does."""
    import localbucket

    handler = localbucket.S3Handler
    if getattr(handler, "medallion_patched", False):
        return
    write_object, get_object = handler._write_object, handler._get

    def _write_object(self, bucket: str, key: str, write) -> str:
        with _lock_for(bucket, key):
            expected = self.headers.get("If-Match")
            if expected is not None:
                target = self._object_path(bucket, key)
                if not target.is_file():
                    raise localbucket.S3Error(HTTPStatus.NOT_FOUND, "NoSuchKey", "The specified key does not exist.")
                if not localbucket.etag_matches(expected, localbucket.object_etag(target)):
                    raise self._precondition_failed_error()
            return write_object(self, bucket, key, write)

    def _get(self, bucket: str, key: str, include_body: bool):
        # localbucket opens the file, then hashes the path for the ETag: a write landing in between
        # sends the old content under the new ETag, and a writer that trusts it loses an update.
        with _lock_for(bucket, key):
            return get_object(self, bucket, key, include_body)

    handler._write_object = _write_object
    handler._get = _get
    handler.medallion_patched = True


def main() -> int:
    honour_if_match()
    import localbucket

    sys.argv[0] = "localbucket"
    localbucket.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
