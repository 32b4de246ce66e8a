"""Bronze keeps each message's Kafka timestamp to the millisecond, and stamps its rows in UTC."""

from __future__ import annotations

import datetime as dt
import json

from medallion_assets.lib import bronze_loader, warehouse

MOMENTS_MS = [1_764_540_000_123, 1_764_540_001_999, 946_684_800_000]  # the last is 2000-01-01 00:00:00 UTC


def test_kafka_timestamps_and_load_times_round_trip_in_utc(stack):
    kafka = stack["kafka"]
    kafka.partitions(create=True)
    producer = kafka.producer()
    for i, moment in enumerate(MOMENTS_MS):
        producer.produce(kafka.topic, key=f"ts-{i}", value=json.dumps({"_id": f"ts-{i}"}).encode(), timestamp=moment)
    assert producer.flush(10) == 0
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with warehouse.connect(stack["snowflake"], schema="RAW_DB.LANDING") as conn:
        report = bronze_loader.load_topic(conn, kafka, "test", bronze_loader.BronzeConfig(batch_size=100))
        rows = (
            conn.cursor()
            .execute(
                "SELECT id, kafka_timestamp, ingested_at FROM RAW_DB.LANDING.BRONZE_REAL_ESTATE "
                "WHERE kafka_topic = %(t)s ORDER BY id",
                {"t": kafka.topic},
            )
            .fetchall()
        )
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert report.rows == 3
    expected = [dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms) for ms in MOMENTS_MS]
    assert [r[1] for r in rows] == expected
    assert expected[2] == dt.datetime(2000, 1, 1)
    for _id, _ts, ingested_at in rows:
        assert before - dt.timedelta(seconds=2) <= ingested_at <= after + dt.timedelta(seconds=2)
