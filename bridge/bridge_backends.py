"""The backends the bridge has opened, built the way Airflow builds `[secrets] backend`: the class
imported by dotted path, `cls(**backend_kwargs)`, the connection class set as
`initialize_secrets_backends()` sets it. Each is known by a handle, with the credentials its kwargs
carry, so that no message about it repeats them; and what a backend answers, as the answers carry it.
"""

from __future__ import annotations

import json
import logging
import re

from airflow._shared.module_loading import import_string
from airflow._shared.secrets_backend.base import call_secrets_backend_method

from bridge_errors import ConfigurationProblem, ProtocolError, qualified_name
from family_plugins import declares, first_answer
from scoped_patches import MethodWatch

CREDENTIAL_KWARG = re.compile(r"token|passw|secret|credential|access_key|private|jwt|api_key", re.I)
# The argument each lookup names its subject by.
SUBJECT_ARGUMENT = {"get_conn_value": "conn_id", "get_connection": "conn_id", "get_variable": "key"}


def connection_class_named(name: str):
    if name == "core":
        from airflow.models.connection import Connection
    elif name == "sdk":
        from airflow.sdk.definitions.connection import Connection
    else:
        raise ProtocolError(f'connection_class must be "sdk" or "core", not {name!r}')
    return Connection


def credential_values(kwargs) -> list:
    """String kwargs whose names say they are credentials: withheld from every message of that backend."""
    found = []
    for name, value in (kwargs or {}).items():
        if isinstance(value, dict):
            found.extend(credential_values(value))
        elif isinstance(value, str) and CREDENTIAL_KWARG.search(str(name)):
            found.append(value)
    return found


def ask_backend(backend, method: str, subject: str, team_name=None):
    """One lookup of a backend, as Airflow's loops make it: team_name only to a method that takes it;
    `get_config` has none."""
    if method == "get_config":
        return backend.get_config(subject)
    return call_secrets_backend_method(getattr(backend, method), team_name=team_name, **{SUBJECT_ARGUMENT[method]: subject})


class Backends:
    def __init__(self, default_backend: str | None, default_kwargs: dict, layout: str | None = None) -> None:
        self.default_backend = default_backend
        self.default_kwargs = default_kwargs
        # The store layout the bridge was started for (`--layout`): a family adapts every class on it.
        self.layout = layout
        self.instances: dict[str, object] = {}
        self.credentials: dict[str, list] = {}
        self.opened = 0

    def open(self, backend_path: str | None, kwargs, connection_class: str) -> dict:
        backend_path = backend_path or self.default_backend
        if not backend_path:
            raise ProtocolError('open needs "backend" (a dotted class path) or a --backend default')
        if kwargs is None:
            kwargs = {}
        if not isinstance(kwargs, dict):
            raise ProtocolError('"kwargs" must be a JSON object')
        kwargs = {**self.default_kwargs, **kwargs}
        try:
            cls = import_string(backend_path)
        except ImportError as error:
            raise ConfigurationProblem(f'cannot import backend "{backend_path}": {error}') from None
        if not isinstance(cls, type) or not all(hasattr(cls, m) for m in ("get_connection", "get_variable")):
            raise ConfigurationProblem(f'"{backend_path}" is not a secrets backend class (no get_connection/get_variable)')
        # As `_get_custom_secret_backend`: `secrets_backend_cls(**backend_kwargs)`.
        if not cls.__module__.startswith("airflow."):
            logging.getLogger(cls.__module__).setLevel(logging.DEBUG)
        # A family's adapter (its bridge_plugin.py `adapt_open`) may take kwargs of the harness's own
        # (where a pod's files are) before the class sees them, and finish the instance after: for every
        # class the family handles (a subclass of its provider class, or any class on its layout).
        credentials = credential_values(kwargs)
        finish = None
        adapted = first_answer("adapt_open", kwargs, accepts=lambda plugin: declares(plugin, cls, self.layout))
        if adapted is not None:
            kwargs, finish = adapted
        try:
            instance = cls(**kwargs)
            if finish is not None:
                finish(instance)
        except Exception as error:
            error.asc_credentials = credentials
            raise
        # As `initialize_secrets_backends()`: core sets the ORM model, the task SDK its own class.
        if hasattr(instance, "_set_connection_class"):
            instance._set_connection_class(connection_class_named(connection_class))
        self.opened += 1
        handle = f"h{self.opened}"
        self.instances[handle] = instance
        self.credentials[handle] = credentials
        return {"handle": handle, "class": qualified_name(cls)}

    def get(self, handle) -> object:
        instance = self.instances.get(handle)
        if instance is None:
            raise ConfigurationProblem(f"unknown handle {handle!r}: open a backend first")
        return instance

    def close(self, handle) -> None:
        """The harness is done with the backend: the handle goes, and the instance's own `close()` runs when
        it has one (a lease backend revokes what it holds there; Airflow's base class has none). What that
        raises is the op's error, its message withholding the backend's credential kwargs."""
        instance = self.get(handle)
        del self.instances[handle]
        credentials = self.credentials.pop(handle, [])
        close = getattr(instance, "close", None)
        if not callable(close):
            return
        try:
            close()
        except Exception as error:
            error.asc_credentials = credentials
            raise

    def close_all(self) -> list:
        """Every backend still open, closed (the end of input); what each one's `close()` raised, by handle."""
        failures = []
        for handle in list(self.instances):
            try:
                self.close(handle)
            except Exception as error:
                failures.append((handle, error))
        return failures


def connection_fields(connection) -> dict | None:
    if connection is None:
        return None

    def plain(value):
        # A field of another type (an extra dict, a port str) travels as it is: the client names the
        # field the backend got wrong, rather than the bridge turning it into what Airflow expects.
        if value is None or isinstance(value, (str, int, float, bool, dict, list)):
            return value
        return json.dumps(value, default=str)

    def port_field(value):
        # JSON.parse rounds a number past 2^53; an int that large travels as its digits.
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
            return str(value)
        return plain(value)

    names = ("conn_id", "conn_type", "host", "login", "password", "schema", "port", "extra", "description")
    return {name: (port_field if name == "port" else plain)(getattr(connection, name, None)) for name in names}


class ValueWitness(MethodWatch):
    """Remembers the raw value a backend deserialises, so an error message can withhold it."""

    def __init__(self, instance) -> None:
        callable_ = callable(getattr(instance, "deserialize_connection", None))
        super().__init__([instance], ("deserialize_connection",) if callable_ else ())
        self.values: list[str] = []

    def _watch(self, index: int, name: str, original):
        def witnessed(conn_id, value):
            self.values.append(value)
            return original(conn_id=conn_id, value=value)

        return witnessed
