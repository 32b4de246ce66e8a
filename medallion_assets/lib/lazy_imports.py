"""Import what a command or a run needs when it needs it.

dagster_snowflake's resources module imports Snowpark and the Snowflake Python API (snowflake.core) at its top,
for helpers this project never calls (create_snowpark_session, get_databases, ...): about 3.5 s of CPU on every
`medallion` command and every run worker, most of `medallion query "SELECT 1"`. `defer_snowpark()` lets
dagster_snowflake import with stand-ins for exactly the names it takes from those modules; a stand-in imports the
real module the first time it is used (called, subscripted at run time, or an attribute read), so those helpers
still work. The stand-ins are removed from `sys.modules` right after, so any other `import snowflake.snowpark`
gets the real module. SnowflakeResource itself (snowflake-connector-python) is untouched.

It runs where dagster_snowflake is first imported, not when the package is: defs/__init__.py (every module under
defs/, so the code location and every run worker) and lib/session.py (lib/warehouse.py and the commands that use it).
`medallion query` imports neither (lib/snowflake_auth.sign_in), so it pays for neither Dagster nor this.
"""

from __future__ import annotations

import importlib
import sys
import types

# What dagster_snowflake/resources.py imports from them (dagster-snowflake pinned in requirements.lock; a unit test
# checks that these are all it takes).
DEFERRED = {
    "snowflake.snowpark": (),
    "snowflake.core": ("Root",),
    "snowflake.core.database": ("Database",),
    "snowflake.core.pipe": ("Pipe",),
    "snowflake.core.schema": ("Schema",),
    "snowflake.core.stage": ("Stage",),
    "snowflake.core.table": ("Table",),
    "snowflake.core.view": ("View",),
}


class _Later:
    """A name of a module not imported yet; the module is imported on the first real use of the name."""

    def __init__(self, module: str, name: str):
        self._module, self._name = module, name

    def _target(self):
        return getattr(importlib.import_module(self._module), self._name)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(self._target(), attribute)

    def __getitem__(self, item):
        return self._target()[item]

    def __repr__(self) -> str:
        return f"<{self._module}.{self._name}, imported on first use>"


class _LaterModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Later(self.__name__, name)


def defer_snowpark() -> bool:
    """Import dagster_snowflake without Snowpark and snowflake.core; True when done now (False: already imported)."""
    if "dagster_snowflake" in sys.modules:
        return False
    import snowflake  # the namespace package (the connector lives in it too)

    placed = {name: _LaterModule(name) for name in DEFERRED if name not in sys.modules}
    saved_attributes = {n: getattr(snowflake, n.split(".")[1], None) for n in placed if n.count(".") == 1}
    sys.modules.update(placed)
    try:
        importlib.import_module("dagster_snowflake")
    finally:
        for name in placed:
            if sys.modules.get(name) is placed[name]:
                del sys.modules[name]
        for name, previous in saved_attributes.items():  # `from snowflake import snowpark` set the attribute
            attribute = name.split(".")[1]
            if previous is None:
                snowflake.__dict__.pop(attribute, None)
            else:
                setattr(snowflake, attribute, previous)
    return True
