"""One exception type for problems a person can fix (config, services, input).

Assets and the CLI raise it with a message that names what is wrong and where,
so nobody has to read a traceback from deep inside a driver to learn that an
environment variable is missing or a server is down.
"""


class MedallionError(RuntimeError):
    """A failure with a clear, actionable message (no secrets in it)."""


class ServiceUnavailable(MedallionError):
    """A server (MongoDB, Kafka, the warehouse) could not be reached, refused the connection, or stopped
    answering in the middle of a step.

    Callers can tell an outage (wait and retry: a sensor skips its tick; a rerun once the server is back
    catches up, since whatever was committed stays and nothing half-done is visible) from every other
    failure (a bug or bad data: a sensor's tick fails). The message names the server and why, in one
    line, without secrets.
    """

    def __init__(self, message: str, service: str = ""):
        super().__init__(message)
        self.service = service  # "MongoDB", "Kafka" or "Snowflake"


class MissingObject(MedallionError):
    """A statement named a database, schema or table the warehouse does not have (Snowflake error 002003),
    e.g. before `warehouse_schema` ever ran on a new deployment."""


class AccessRefused(MedallionError):
    """A server answered and said no: a wrong password or key, an expired credential, a role or grant missing.

    Not an outage: waiting does not mend it, so sensors fail their tick (visibly, in the UI) instead of skipping
    it, and steps fail. The message names the credential (the environment variable) or the missing grant, in one
    line, without secrets."""

    def __init__(self, message: str, service: str = ""):
        super().__init__(message)
        self.service = service
