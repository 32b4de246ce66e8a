"""One exception type for problems a person can fix (config, services, input).

Assets and the CLI raise it with a message that names what is wrong and where,
so nobody has to read a traceback from deep inside a driver to learn that an
environment variable is missing or a server is down.
"""


class MedallionError(RuntimeError):
    """A failure with a clear, actionable message (no secrets in it)."""
