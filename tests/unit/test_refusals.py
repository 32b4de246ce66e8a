"""A server that answers "no" (a credential, a role, an ACL, a grant) is AccessRefused, one line naming what to fix;
only a server that cannot be reached is ServiceUnavailable (an outage that sensors skip). The classification of each
client's errors, with the errors those clients raise; the refusals that the embedded servers can produce (Snowflake
password and key pair) are also tested end to end in tests/integration/test_key_pair.py."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from dagster_snowflake import SnowflakeResource
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError
from snowflake.connector.errors import DatabaseError, ForbiddenError, OperationalError, ProgrammingError

from medallion_assets.lib import kafka as kafka_module
from medallion_assets.lib import mongo as mongo_module
from medallion_assets.lib import snowflake_auth, warehouse
from medallion_assets.lib.errors import AccessRefused, MedallionError, ServiceUnavailable
from medallion_assets.lib.kafka import KafkaResource
from medallion_assets.lib.mongo import MongoResource
from medallion_assets.lib.settings import SERVICE_VARIABLES, TopicSettings


@pytest.fixture(autouse=True)
def production(monkeypatch):
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "MEDALLION_ENV": "production",
        "MONGO_URI": "mongodb://m",
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
        "SNOWFLAKE_ACCOUNT": "acme",
        "SNOWFLAKE_USER": "SVC",
        "SNOWFLAKE_PASSWORD": "x",
    }.items():
        monkeypatch.setenv(name, value)


# --- Kafka ---


class FakeAdmin:
    """AdminClient whose metadata call reports `reported` through error_cb (as librdkafka does for a failed SASL
    sign-in) and then fails with `raised`, or answers `topics`."""

    reported: list = []
    raised: KafkaError | None = None
    topics: dict = {}

    def __init__(self, config):
        self.config = config

    def list_topics(self, topic=None, timeout=None):
        for error in self.reported:
            self.config.get("error_cb", lambda e: None)(error)
        if self.raised is not None:
            raise KafkaException(self.raised)
        return type("Metadata", (), {"topics": self.topics})()


@pytest.fixture
def admin(monkeypatch):
    monkeypatch.setattr(kafka_module, "AdminClient", FakeAdmin)
    FakeAdmin.reported, FakeAdmin.raised, FakeAdmin.topics = [], None, {}
    return FakeAdmin


def test_a_failed_sasl_sign_in_is_refused_not_an_outage(admin):
    admin.reported = [KafkaError(KafkaError._AUTHENTICATION, "SASL authentication error: Authentication failed")]
    admin.raised = KafkaError(KafkaError._TIMED_OUT, "Failed to get metadata: Local: Timed out")
    with pytest.raises(AccessRefused) as refused:
        KafkaResource(bootstrap_servers="k:9092", timeout_s=0.1).partitions()
    assert str(refused.value) == (
        "Kafka at k:9092 refused the sign-in (_AUTHENTICATION: SASL authentication error: Authentication failed): "
        "check KAFKA_USERNAME, KAFKA_PASSWORD and KAFKA_SASL_MECHANISM"
    )


def test_a_timeout_without_a_refusal_is_an_outage(admin):
    admin.raised = KafkaError(KafkaError._TRANSPORT, "Connection refused")
    with pytest.raises(ServiceUnavailable, match="Kafka at k:9092 is unreachable"):
        KafkaResource(bootstrap_servers="k:9092", timeout_s=0.1).partitions()


def test_a_topic_the_principal_may_not_describe_is_refused(admin):
    error = KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "Topic authorization failed")
    admin.topics = {"data_ingestion": type("Topic", (), {"error": error, "partitions": {}})()}
    with pytest.raises(AccessRefused, match="grant the KAFKA_USERNAME principal Describe, Read and Write on topic"):
        KafkaResource(bootstrap_servers="k:9092").partitions()


def test_a_missing_topic_is_one_error_when_the_pipeline_may_not_create_it(admin):
    kafka = KafkaResource(bootstrap_servers="k:9092", create_topic=False, replication_factor=3)
    assert kafka.partitions() == []  # a sensor just finds nothing to do
    with pytest.raises(MedallionError) as missing:
        kafka.partitions(create=True)
    assert str(missing.value) == (
        "Kafka topic 'data_ingestion' does not exist on k:9092: create it (e.g. 3 partitions, replication factor 3, "
        "min.insync.replicas below it), or set KAFKA_CREATE_TOPIC=true to let the pipeline create it"
    )


def test_topic_settings(monkeypatch):
    assert TopicSettings.from_env(embedded=True) == TopicSettings(True, 3, 1)
    assert TopicSettings.from_env(embedded=False) == TopicSettings(False, 3, 3)
    monkeypatch.setenv("KAFKA_CREATE_TOPIC", "true")
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "12")
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", "2")
    assert TopicSettings.from_env(embedded=False) == TopicSettings(True, 12, 2)
    from medallion_assets.defs.resources import kafka_resource

    kafka = kafka_resource()
    assert (kafka.create_topic, kafka.num_partitions, kafka.replication_factor) == (True, 12, 2)
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "0")
    with pytest.raises(MedallionError, match="KAFKA_TOPIC_PARTITIONS must be a whole number of at least 1, got '0'"):
        TopicSettings.from_env(embedded=False)
    monkeypatch.setenv("KAFKA_CREATE_TOPIC", "yes")
    with pytest.raises(MedallionError, match="KAFKA_CREATE_TOPIC must be true or false, got 'yes'"):
        TopicSettings.from_env(embedded=False)


# --- MongoDB ---


class FakeClient:
    failure: Exception

    def __init__(self, *args, **kwargs):
        self.admin = self

    def command(self, name):
        raise self.failure

    def close(self):
        pass


@pytest.mark.parametrize(
    ("failure", "kind", "says"),
    [
        (
            OperationFailure("Authentication failed.", code=18),
            AccessRefused,
            "refused the sign-in (AuthenticationFailed)",
        ),
        (OperationFailure("not authorized on admin", code=13), AccessRefused, "grant the MONGO_URI user the read role"),
        (ServerSelectionTimeoutError("no servers"), ServiceUnavailable, "is unreachable (ServerSelectionTimeoutError)"),
    ],
)
def test_mongo_refusals_and_outages(monkeypatch, failure, kind, says):
    FakeClient.failure = failure
    monkeypatch.setattr(mongo_module.pymongo, "MongoClient", FakeClient)
    with pytest.raises(kind) as raised, MongoResource(uri="mongodb://reader:s3cret@db:27017").get_collection():
        pass
    assert says in str(raised.value) and "s3cret" not in str(raised.value) and type(raised.value) is kind


# --- Snowflake ---


def resource(**fields) -> SnowflakeResource:
    return SnowflakeResource(account="acme", user="SVC", role="LOADER", **(fields or {"password": "x"}))


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (OperationalError(msg="Could not connect to Snowflake backend", errno=250001), ServiceUnavailable,
         "Snowflake is unreachable (OperationalError: "),
        (DatabaseError(msg="Failed to connect to DB: acme.snowflakecomputing.com:443. Incorrect username or password "
                       "was specified.", errno=390100), AccessRefused,
         "Snowflake refused the sign-in (390100: Incorrect username or password was specified.): check SNOWFLAKE_USER "
         "and SNOWFLAKE_PASSWORD"),
        (DatabaseError(msg="Role 'LOADER' specified in the connect string is not granted to this user.", errno=390189),
         AccessRefused, "grant role LOADER to user SVC, or fix SNOWFLAKE_ROLE"),
        (ForbiddenError(msg="403 Forbidden"), AccessRefused, "a network policy or firewall refuses this address"),
    ],
)  # fmt: skip
def test_snowflake_sign_in_errors(error, kind, says):
    classified = snowflake_auth.sign_in_error(resource(), error)
    assert type(classified) is kind and says in str(classified), str(classified)


def test_a_key_pair_refusal_points_at_the_registered_public_key():
    from tests.keys import key_pair

    private, _ = key_pair()
    error = DatabaseError(msg="JWT token is invalid.", errno=390144)
    message = str(snowflake_auth.sign_in_error(resource(private_key=private), error))
    assert message == (
        "Snowflake refused the sign-in (390144: JWT token is invalid.): check SNOWFLAKE_USER and "
        "SNOWFLAKE_PRIVATE_KEY, and that its public key is registered (ALTER USER ... SET RSA_PUBLIC_KEY, see docs)"
    )


class RefusingConnection:
    host, port = "acme.snowflakecomputing.com", 443

    def __init__(self, error):
        self.error = error

    def cursor(self):
        return self

    def execute(self, *args):
        raise self.error


def test_a_statement_without_the_grant_is_refused_and_a_missing_object_is_missing():
    from medallion_assets.lib.errors import MissingObject

    denied = ProgrammingError(
        msg="SQL access control error: Insufficient privileges to operate on table 'X'", errno=3001
    )
    with pytest.raises(
        AccessRefused, match=r"sql/doctor/current_role.sql was refused: 003001: SQL access control error"
    ):
        warehouse.execute(RefusingConnection(denied), "doctor/current_role")
    missing = ProgrammingError(msg="Object 'X' does not exist or not authorized.", errno=2003)
    with pytest.raises(MissingObject):
        warehouse.execute(RefusingConnection(missing), "doctor/current_role")
