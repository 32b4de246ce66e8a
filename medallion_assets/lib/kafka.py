"""Kafka topic between the source and the warehouse, through confluent-kafka."""

from __future__ import annotations

import time

import dagster as dg
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from pydantic import Field

from medallion_assets.lib.errors import AccessRefused, MedallionError, ServiceUnavailable

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")


# librdkafka's codes for a broker that answered no: a failed SASL sign-in, or an ACL without the grant
SIGN_IN_REFUSED = (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED)
NOT_AUTHORIZED = (
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
)


class KafkaResource(dg.ConfigurableResource):
    """Broker connection and topic (KAFKA_* environment variables)."""

    bootstrap_servers: str = Field(description="host:port[,host:port]")
    topic: str = Field(default="data_ingestion")
    security_protocol: str = Field(default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    sasl_mechanism: str | None = Field(default=None, description="e.g. PLAIN or SCRAM-SHA-256")
    username: str | None = Field(default=None)
    password: str | None = Field(default=None, description="secret, set through KAFKA_PASSWORD")
    ssl_ca_location: str | None = Field(default=None, description="CA certificate file for SSL")
    create_topic: bool = Field(
        default=True,
        description="Create the topic when it is missing (KAFKA_CREATE_TOPIC; embedded: yes, production: no).",
    )
    num_partitions: int = Field(default=3, description="Partitions when the topic is created here.")
    replication_factor: int = Field(default=1, description="Replication factor when the topic is created here.")
    timeout_s: float = Field(default=10.0, description="How long to wait for the broker to answer.")

    def client_config(self) -> dict:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise MedallionError(
                f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(SECURITY_PROTOCOLS)}, "
                f"got {self.security_protocol!r}"
            )
        config = {"bootstrap.servers": self.bootstrap_servers, "security.protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            if not (self.sasl_mechanism and self.username and self.password):
                raise MedallionError(
                    f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_SASL_MECHANISM, "
                    "KAFKA_USERNAME and KAFKA_PASSWORD"
                )
            config.update(
                {"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.username, "sasl.password": self.password}
            )
        if self.ssl_ca_location:
            config["ssl.ca.location"] = self.ssl_ca_location
        return config

    def producer(self, **overrides) -> Producer:
        """An idempotent producer: retries never duplicate or reorder a partition's messages.

        Record batches are cut by size or by the caller's flush, not by a short linger: a
        source that yields a few thousand documents a second would otherwise write hundreds of
        tiny batches, and the embedded broker reads each batch back as one storage object.
        LZ4-compressed batches are about a third of the bytes for the broker to store and serve
        (100,000 listings: produce 5.4 -> 2.8 s, a consumer per partition reading them 2.9 -> 1.9 s);
        consumers decompress them by themselves.
        """
        config = {
            **self.client_config(),
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 1000,
            "batch.size": 4_000_000,
            "batch.num.messages": 100_000,
            "compression.type": "lz4",
            "message.timeout.ms": int(self.timeout_s * 1000) * 3,
            **overrides,
        }
        return Producer(config)

    def consumer(self, group_id: str, **overrides) -> Consumer:
        """A consumer for explicitly assigned partitions; positions live in the warehouse, not the broker."""
        config = {
            **self.client_config(),
            "group.id": group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "fetch.wait.max.ms": 100,
            **overrides,
        }
        return Consumer(config)

    def admin(self, errors: list | None = None) -> AdminClient:
        """An admin client; with `errors`, the client's own error reports (e.g. a failed SASL sign-in, which
        librdkafka reports there while the call itself only times out) are collected into it."""
        config = self.client_config()
        if errors is not None:
            config["error_cb"] = errors.append
        return AdminClient(config)

    def partitions(self, create: bool = False) -> list[int]:
        """Partition ids of the topic. With `create` (a caller that needs the topic), a missing topic is created
        when `create_topic` says so, else it is one clear error; without, a missing topic has no partitions."""
        reported: list[KafkaError] = []
        admin = self.admin(reported)
        try:
            metadata = admin.list_topics(timeout=self.timeout_s)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            refusal = next((e for e in [*reported, error] if e is not None and e.code() in SIGN_IN_REFUSED), None)
            if refusal is not None:
                raise self.refused(refusal) from None
            raise ServiceUnavailable(
                f"Kafka at {self.bootstrap_servers} is unreachable ({error.str() if error else exc}); "
                "check KAFKA_BOOTSTRAP_SERVERS, or run `medallion services up` for the embedded broker",
                service="Kafka",
            ) from None
        found = metadata.topics.get(self.topic)
        if found is not None and found.error is not None and found.error.code() in NOT_AUTHORIZED:
            raise self.refused(found.error)
        topic = metadata.topics.get(self.topic)
        if (topic is None or topic.error is not None) and create:
            if not self.create_topic:
                raise MedallionError(
                    f"Kafka topic {self.topic!r} does not exist on {self.bootstrap_servers}: create it (e.g. "
                    f"{self.num_partitions} partitions, replication factor {self.replication_factor}, "
                    "min.insync.replicas below it), or set KAFKA_CREATE_TOPIC=true to let the pipeline create it"
                )
            futures = admin.create_topics(
                [NewTopic(self.topic, self.num_partitions, self.replication_factor)], operation_timeout=self.timeout_s
            )
            try:
                futures[self.topic].result()
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise MedallionError(f"cannot create Kafka topic {self.topic!r}: {exc.args[0].str()}") from None
            return self._wait_for_topic(admin)
        if topic is None or topic.error is not None:
            return []
        return sorted(topic.partitions)

    def refused(self, error: KafkaError) -> AccessRefused:
        """A refusal from the broker as one line naming the credential or the ACL to grant (never an outage)."""
        if error.code() in SIGN_IN_REFUSED:
            fix = "check KAFKA_USERNAME, KAFKA_PASSWORD and KAFKA_SASL_MECHANISM"
            what = "refused the sign-in"
        else:
            fix = f"grant the KAFKA_USERNAME principal Describe, Read and Write on topic {self.topic!r} (and Read on "
            fix += "its consumer groups)"
            what = "refused access"
        return AccessRefused(
            f"Kafka at {self.bootstrap_servers} {what} ({error.name()}: {error.str()[:200]}): {fix}", service="Kafka"
        )

    def _wait_for_topic(self, admin: AdminClient) -> list[int]:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            topic = admin.list_topics(topic=self.topic, timeout=self.timeout_s).topics.get(self.topic)
            if topic is not None and topic.error is None and topic.partitions:
                return sorted(topic.partitions)
            time.sleep(0.1)
        raise MedallionError(f"Kafka topic {self.topic!r} was created but never appeared in metadata")

    def end_offsets(self, partitions: list[int], group_id: str = "medallion-probe") -> dict[int, int]:
        """High watermark per partition, read from a fetch response.

        A fetch's cached watermark is right on every broker; the ListOffsets
        call behind uncached watermarks is wrong on the embedded broker.
        """
        consumer = self.consumer(group_id)
        try:
            consumer.assign([TopicPartition(self.topic, p, 0) for p in partitions])
            ends: dict[int, int] = {}
            deadline = time.monotonic() + self.timeout_s
            while len(ends) < len(partitions) and time.monotonic() < deadline:
                consumer.consume(num_messages=1, timeout=0.2)
                for p in partitions:
                    low, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), cached=True)
                    if high >= 0:
                        ends[p] = high
            missing = sorted(set(partitions) - set(ends))
            if missing:
                raise ServiceUnavailable(
                    f"Kafka gave no end offsets for {self.topic} partitions {missing}", service="Kafka"
                )
            return ends
        finally:
            consumer.close()
