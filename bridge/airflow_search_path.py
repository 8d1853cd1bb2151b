"""Airflow's own secrets search path and SecretCache, for the harness (bridge/PROTOCOL.md, "Search path ops").

A lookup runs Airflow 3.3.2's own functions: `Connection.get_connection_from_secrets` and
`Variable.get_variable_from_secrets` (airflow/models, the server side, `core`) or `_get_connection` and
`_get_variable` (airflow/sdk/execution_time/context.py, the task side, `sdk`). Nothing of their loop is
re-implemented here: for the duration of one call, the function Airflow asks for its backend list
(`ensure_secrets_loaded`, `ensure_secrets_backend_loaded`) answers the chain the harness asked for, the
class-level store of `SecretCache` is the one opened for that chain, and the clock `SecretCache` reads is
the harness's fake clock. Everything is restored afterwards, so calls do not see each other's state.

What the chain is made of: backends opened with `open` (by handle), Airflow's own
EnvironmentVariablesBackend over given entries, and three stand-ins of the harness's TypeScript doubles
(suites/doubles.ts, model/metastore.ts): a metastore held in memory, a backend that always fails,
and a counter around another entry.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import os
import sys

from airflow._shared.secrets_backend.base import call_secrets_backend_method
from airflow.secrets import BaseSecretsBackend
from airflow.secrets.environment_variables import EnvironmentVariablesBackend
from airflow.secrets.metastore import MetastoreBackend

MODES = ("core", "sdk")
# The module whose calls to `airflow.sdk.timezone.utcnow` see the fake clock; nothing else does.
CACHE_MODULE = "airflow.sdk.execution_time.cache"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MISSING = object()


class InMemoryMetastore(MetastoreBackend):
    """The metastore's rows, held in memory (model/metastore.ts). A MetastoreBackend, so Airflow's own
    isinstance checks (`Variable.check_for_write_conflict`) treat it as the metastore."""

    def __init__(self, connections: dict, variables: dict) -> None:
        super().__init__()
        self.connections = connections
        self.variables = variables

    def get_connection(self, conn_id: str, team_name: str | None = None):
        fields = self.connections.get(conn_id)
        if fields is None:
            return None
        # A row is fields, never a URI: the core model, as the metastore's `select(Connection)` gives.
        from airflow.models.connection import Connection

        if isinstance(fields.get("port"), str):
            fields = {**fields, "port": int(fields["port"])}
        return Connection(conn_id=conn_id, **fields)

    def get_variable(self, key: str, team_name: str | None = None):
        return self.variables.get(key)


class FailingDouble(BaseSecretsBackend):
    """Fails every lookup the way an unreachable server does (suites/doubles.ts FailingBackend)."""

    def __init__(self) -> None:
        self.counts = {"connections": 0, "variables": 0, "config": 0}

    def _fail(self, what: str, kind: str):
        self.counts[kind] += 1
        raise ConnectionError(f"cannot look up {what}: the test double always fails")

    def get_conn_value(self, conn_id: str, team_name: str | None = None):
        self._fail(f'connection "{conn_id}"', "connections")

    def get_connection(self, conn_id: str, team_name: str | None = None):
        self._fail(f'connection "{conn_id}"', "connections")

    def get_variable(self, key: str, team_name: str | None = None):
        self._fail(f'variable "{key}"', "variables")

    def get_config(self, key: str):
        self._fail(f'config "{key}"', "config")


class CountingDouble(BaseSecretsBackend):
    """Counts the calls that reach the entry behind it (suites/doubles.ts CountingBackend)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.counts = {"connections": 0, "variables": 0, "config": 0}

    def get_conn_value(self, conn_id: str, team_name: str | None = None):
        self.counts["connections"] += 1
        return call_secrets_backend_method(self.inner.get_conn_value, team_name=team_name, conn_id=conn_id)

    def get_connection(self, conn_id: str, team_name: str | None = None):
        self.counts["connections"] += 1
        return call_secrets_backend_method(self.inner.get_connection, team_name=team_name, conn_id=conn_id)

    def get_variable(self, key: str, team_name: str | None = None):
        self.counts["variables"] += 1
        return call_secrets_backend_method(self.inner.get_variable, team_name=team_name, key=key)

    def get_config(self, key: str):
        self.counts["config"] += 1
        return self.inner.get_config(key)

    def _set_connection_class(self, conn_class: type) -> None:
        super()._set_connection_class(conn_class)
        self.inner._set_connection_class(conn_class)


class Chain:
    """The backends of one call, built from the request's specs; handles are the bridge's open backends."""

    def __init__(self, specs, handles, protocol_error) -> None:
        if not isinstance(specs, list):
            raise protocol_error('"backends" must be a list of backend specs')
        self.handles = handles
        self.protocol_error = protocol_error
        self.counted: dict[str, object] = {}
        self.instances: list = []
        self.environment: dict[str, str] = {}
        self.known_values: list[str] = []
        self.backends = [self._build(spec) for spec in specs]
        self.kinds = [spec.get("kind") for spec in specs]

    def _build(self, spec):
        if not isinstance(spec, dict):
            raise self.protocol_error("a backend spec is a JSON object")
        kind = spec.get("kind")
        if kind == "handle":
            instance = self.handles.get(spec.get("handle"))
            self.known_values.extend(self.handles.credentials.get(spec.get("handle"), []))
        elif kind == "environment":
            entries = spec.get("entries") or {}
            if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
                raise self.protocol_error('an environment spec has "entries": an object of strings')
            self.environment.update(entries)
            self.known_values.extend(entries.values())
            instance = EnvironmentVariablesBackend()
        elif kind == "metastore":
            connections = spec.get("connections") or {}
            variables = spec.get("variables") or {}
            if not isinstance(connections, dict) or not isinstance(variables, dict):
                raise self.protocol_error('a metastore spec has "connections" and "variables" objects')
            if not all(isinstance(fields, dict) for fields in connections.values()):
                raise self.protocol_error("a metastore connection is an object of fields")
            for fields in connections.values():
                self.known_values.extend(str(fields.get(name)) for name in ("password", "extra") if fields.get(name))
            self.known_values.extend(value for value in variables.values() if isinstance(value, str))
            instance = InMemoryMetastore(connections, variables)
        elif kind == "failing":
            instance = self._counted(spec, FailingDouble())
        elif kind == "counting":
            instance = self._counted(spec, CountingDouble(self._build(spec.get("inner"))))
        else:
            raise self.protocol_error(f"unknown backend spec kind {kind!r}; known: handle, environment, metastore, failing, counting")
        self.instances.append(instance)
        return instance

    def _counted(self, spec, instance):
        ref = spec.get("ref")
        if not isinstance(ref, str):
            raise self.protocol_error(f'a {spec.get("kind")} spec needs "ref" (a string naming it in "calls")')
        self.counted[ref] = instance
        return instance

    def calls(self) -> dict:
        return {ref: dict(instance.counts) for ref, instance in self.counted.items()}

    def is_default(self, index: int) -> bool:
        """Whether entry `index` is one of Airflow's own default backends, never a `[secrets] backend`."""
        return self.kinds[index] in ("metastore", "environment")


class Recorder:
    """Watches each top-level backend's get_connection / get_variable during one call: who was asked,
    who answered, what each raised. Airflow logs a skipped failure and moves on; this keeps it."""

    LOOKUPS = ("get_connection", "get_variable")

    def __init__(self, backends) -> None:
        self.backends = backends
        self.asked = 0
        self.answered: int | None = None
        self.failures: list[tuple[int, BaseException]] = []
        self._saved: list[tuple[object, str, object]] = []

    def __enter__(self):
        for index, backend in enumerate(self.backends):
            for name in self.LOOKUPS:
                self._saved.append((backend, name, vars(backend).get(name, _MISSING)))
                setattr(backend, name, self._watch(index, name, getattr(backend, name)))
        return self

    def __exit__(self, *exc):
        for backend, name, previous in reversed(self._saved):
            if previous is _MISSING:
                vars(backend).pop(name, None)
            else:
                setattr(backend, name, previous)
        return False

    def _watch(self, index: int, name: str, method):
        # functools.wraps keeps the signature Airflow inspects to decide whether to pass team_name.
        @functools.wraps(method)
        def watched(*args, **kwargs):
            self.asked += 1
            try:
                found = method(*args, **kwargs)
            except BaseException as error:
                self.failures.append((index, error))
                raise
            # The loops' own tests: a truthy connection, a variable that is not None.
            if (found is not None) if name == "get_variable" else bool(found):
                self.answered = index
            return found

        return watched


@contextlib.contextmanager
def _patched(owner, name: str, value):
    previous = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, previous)


@contextlib.contextmanager
def _environment(entries: dict):
    """`entries` set (or, for None, unset) in this process's environment for the duration."""
    saved = {name: os.environ.get(name) for name in entries}
    for name, value in entries.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _airflow_backend_list(backends):
    """The list Airflow iterates, for this call: what `ensure_secrets_loaded` (core, both the import in
    models/variable.py and the one models/connection.py makes at call time) and the task SDK's
    `ensure_secrets_backend_loaded` answer."""
    import airflow.configuration as core_configuration
    import airflow.models.variable as core_variable
    import airflow.sdk.execution_time.supervisor as supervisor

    def loaded(*_args, **_kwargs):
        return list(backends)

    with contextlib.ExitStack() as stack:
        stack.enter_context(_patched(core_configuration, "ensure_secrets_loaded", loaded))
        stack.enter_context(_patched(core_variable, "ensure_secrets_loaded", loaded))
        stack.enter_context(_patched(supervisor, "ensure_secrets_backend_loaded", loaded))
        yield


class _QuietLog:
    """Takes every log call and writes nothing."""

    def __getattr__(self, _name):
        return lambda *_args, **_kwargs: None


# The modules whose lookup loops log a skipped backend; their failures are in the answer instead.
LOGGING_MODULES = ("airflow.models.connection", "airflow.models.variable", "airflow.sdk.execution_time.context")


@contextlib.contextmanager
def _quiet_lookup_logs():
    """Airflow logs a skipped backend with `log.exception`, which the bridge's console logging renders as
    a traceback with every frame's locals: backend credentials and values included, and seconds of
    rendering for a deep client stack. For the call those modules log nowhere; the answer carries the
    failures, described without secrets."""
    import importlib

    with contextlib.ExitStack() as stack:
        for name in LOGGING_MODULES:
            stack.enter_context(_patched(importlib.import_module(name), "log", _QuietLog()))
        yield


@contextlib.contextmanager
def _connection_class(backends, mode: str, connection_class_of):
    """The class Airflow sets on every backend of its list: the core model on the server side
    (airflow/configuration.py initialize_secrets_backends), the task SDK's on the task side
    (airflow/sdk/configuration.py). Restored afterwards: an opened backend keeps the one `open` gave it."""
    conn_class = connection_class_of(mode)
    saved = []
    for backend in backends:
        if hasattr(backend, "_set_connection_class"):
            saved.append((backend, vars(backend).get("_connection_class", _MISSING)))
            backend._set_connection_class(conn_class)
    try:
        yield
    finally:
        for backend, previous in saved:
            if previous is _MISSING:
                vars(backend).pop("_connection_class", None)
            else:
                backend._connection_class = previous


@contextlib.contextmanager
def _cache_clock(clock_ms):
    """`SecretCache` stamps and expires entries with `airflow.sdk.timezone.utcnow()`; during this call
    that answers the harness's fake clock to the cache module's own calls, the real time to anyone else."""
    if clock_ms is None:
        yield
        return
    import airflow.sdk.timezone as timezone

    real = timezone.utcnow
    fake = EPOCH + datetime.timedelta(milliseconds=clock_ms)

    def utcnow():
        if sys._getframe(1).f_globals.get("__name__") == CACHE_MODULE:
            return fake
        return real()

    with _patched(timezone, "utcnow", utcnow):
        yield


class Caches:
    """SecretCache stores, one per cache the harness opened. Airflow's SecretCache is one per process
    (class attributes); each call swaps in the store of the cache it names, so chains stay apart.
    A store lives as long as the bridge (a case's cache holds a handful of entries)."""

    def __init__(self) -> None:
        self.stores: dict[str, tuple] = {}
        self.opened = 0

    def open(self, use_cache, ttl_seconds, configuration_problem) -> dict:
        from airflow.sdk.execution_time.cache import SecretCache

        if not isinstance(use_cache, bool):
            raise configuration_problem('secret_cache_open needs "use_cache" (true or false)')
        # Airflow reads both settings itself, in SecretCache.init(), from [secrets]; no TTL means its fallback.
        settings = {
            "AIRFLOW__SECRETS__USE_CACHE": str(use_cache),
            "AIRFLOW__SECRETS__CACHE_TTL_SECONDS": None if ttl_seconds is None else str(ttl_seconds),
        }
        saved = (SecretCache._cache, getattr(SecretCache, "_ttl", None))
        try:
            SecretCache.reset()
            with _environment(settings):
                try:
                    SecretCache.init()
                except Exception as error:
                    # A setting Airflow cannot read (a TTL that is not a whole number) is the configuration's fault.
                    error.asc_kind = "configuration"
                    raise
            store, ttl = SecretCache._cache, getattr(SecretCache, "_ttl", None)
        finally:
            SecretCache._cache, SecretCache._ttl = saved
        self.opened += 1
        handle = f"c{self.opened}"
        self.stores[handle] = (store, ttl)
        return {
            "cache": handle,
            "enabled": store is not None,
            "ttl_seconds": ttl.total_seconds() if store is not None and ttl is not None else None,
        }

    @contextlib.contextmanager
    def active(self, handle, configuration_problem):
        """`SecretCache` as the named cache left it; with no cache, as Airflow leaves it when
        `[secrets] use_cache` is off (never initialised: every get misses, every save is dropped)."""
        from airflow.sdk.execution_time.cache import SecretCache

        if handle is None:
            store, ttl = None, datetime.timedelta(0)
        elif handle in self.stores:
            store, ttl = self.stores[handle]
        else:
            raise configuration_problem(f"unknown cache {handle!r}: open it with secret_cache_open first")
        saved = (SecretCache._cache, getattr(SecretCache, "_ttl", None))
        SecretCache._cache, SecretCache._ttl = store, ttl
        try:
            yield store is not None
        finally:
            SecretCache._cache, SecretCache._ttl = saved


def _is_not_found(error) -> bool:
    """Airflow's "nothing anywhere": AirflowNotFoundException for connections, and the task SDK's
    VARIABLE_NOT_FOUND runtime error for variables."""
    from airflow.sdk.exceptions import AirflowNotFoundException as SdkNotFound
    from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType

    try:
        from airflow.exceptions import AirflowNotFoundException as CoreNotFound
    except ImportError:
        CoreNotFound = SdkNotFound
    if isinstance(error, (SdkNotFound, CoreNotFound)):
        return True
    return isinstance(error, AirflowRuntimeError) and getattr(getattr(error, "error", None), "error", None) == ErrorType.VARIABLE_NOT_FOUND


def _connection_flavour(connection) -> str:
    from airflow.models.connection import Connection as CoreConnection

    return "core" if isinstance(connection, CoreConnection) else "sdk"


class SearchPathOps:
    """The protocol ops; the bridge hands in what it already has (its open backends, its error
    description, its connection fields, its value witness)."""

    def __init__(self, backends, describe, connection_fields, witness, connection_class_of, protocol_error, configuration_problem) -> None:
        self.backends = backends
        self.describe = describe
        self.connection_fields = connection_fields
        self.witness = witness
        self.connection_class_of = connection_class_of
        self.protocol_error = protocol_error
        self.configuration_problem = configuration_problem
        self.caches = Caches()

    def ops(self) -> dict:
        return {
            "secret_cache_open": lambda r: self.caches.open(r.get("use_cache"), r.get("cache_ttl_seconds"), self.configuration_problem),
            "search_path_get_connection": lambda r: self._lookup(r, "connection"),
            "search_path_get_variable": lambda r: self._lookup(r, "variable"),
            "search_path_variable_written": self._variable_written,
            "search_path_get_config": self._get_config,
        }

    def _mode(self, request) -> str:
        mode = request.get("mode", "core")
        if mode not in MODES:
            raise self.protocol_error(f'"mode" must be "core" or "sdk", not {mode!r}')
        return mode

    def _text(self, request, name: str) -> str:
        value = request.get(name)
        if not isinstance(value, str):
            raise self.protocol_error(f'"{request.get("op")}" needs "{name}" (str)')
        return value

    @contextlib.contextmanager
    def _running(self, request, chain: Chain, mode: str):
        """Airflow's state for one call: its backend list, their connection class, the cache, the clock."""
        clock_ms = request.get("clock_ms")
        if clock_ms is not None and (isinstance(clock_ms, bool) or not isinstance(clock_ms, (int, float))):
            raise self.protocol_error('"clock_ms" must be a number of milliseconds since the epoch')
        with contextlib.ExitStack() as stack:
            live = stack.enter_context(self.caches.active(request.get("cache"), self.configuration_problem))
            stack.enter_context(_environment(chain.environment))
            stack.enter_context(_airflow_backend_list(chain.backends))
            stack.enter_context(_connection_class(chain.instances, mode, self.connection_class_of))
            stack.enter_context(_cache_clock(clock_ms))
            stack.enter_context(_quiet_lookup_logs())
            yield live

    def _lookup(self, request, what: str) -> dict:
        mode = self._mode(request)
        subject = self._text(request, "conn_id" if what == "connection" else "key")
        chain = Chain(request.get("backends"), self.backends, self.protocol_error)
        during = "get_connection" if what == "connection" else "get_variable"
        recorder = Recorder(chain.backends)
        witnesses = []
        try:
            with self._running(request, chain, mode) as live, contextlib.ExitStack() as watching:
                if what == "connection":
                    for instance in chain.instances:
                        witnesses.append(watching.enter_context(self.witness(instance)))
                watching.enter_context(recorder)
                try:
                    value = self._call_airflow(mode, what, subject)
                except Exception as error:
                    if not _is_not_found(error):
                        raise
                    value = None
        except Exception as error:
            error.asc_known_values = self._known(chain, witnesses)
            raise
        known = self._known(chain, witnesses)
        answer = {
            "value": self.connection_fields(value) if what == "connection" else value,
            "served_by": self._served_by(live, recorder, chain, what, value),
            "failures": [{"index": index, "error": self.describe(error, during, known)} for index, error in recorder.failures],
            "calls": chain.calls(),
        }
        if what == "connection" and value is not None:
            answer["connection_class"] = _connection_flavour(value)
        return answer

    @staticmethod
    def _served_by(live: bool, recorder: Recorder, chain: Chain, what: str, value):
        """The entry that answered, or "cache" when no backend was asked (a cached variable miss included)."""
        if live and recorder.asked == 0 and chain.backends and (value is not None or what == "variable"):
            return "cache"
        return recorder.answered if value is not None else None

    def _call_airflow(self, mode: str, what: str, subject: str):
        if mode == "core":
            if what == "connection":
                from airflow.models.connection import Connection

                return Connection.get_connection_from_secrets(subject)
            from airflow.models.variable import Variable

            return Variable.get_variable_from_secrets(subject)
        from airflow.sdk.execution_time import context

        if what == "connection":
            return context._get_connection(subject)
        return context._get_variable(subject, deserialize_json=False)

    def _variable_written(self, request) -> dict:
        """What `Variable.set` / `Variable.delete` (models/variable.py) do around their database write,
        which the harness makes in its own metastore: set checks the chain for a backend that shadows the
        key (`check_for_write_conflict`, which only logs), and both invalidate the key in the cache."""
        mode = self._mode(request)
        key = self._text(request, "key")
        action = request.get("action")
        if action not in ("set", "delete"):
            raise self.protocol_error('"action" must be "set" or "delete"')
        chain = Chain(request.get("backends"), self.backends, self.protocol_error)
        try:
            with self._running(request, chain, mode):
                from airflow.models.variable import Variable
                from airflow.sdk.execution_time.cache import SecretCache

                if action == "set":
                    Variable.check_for_write_conflict(key=key)
                SecretCache.invalidate_variable(key)
        except Exception as error:
            error.asc_known_values = self._known(chain, [])
            raise
        return {"calls": chain.calls()}

    def _get_config(self, request) -> dict:
        """`conf._get_config_value_from_secret_backend`: only the `[secrets] backend` is asked, which in
        Airflow's list is the head; a chain headed by one of Airflow's defaults has none."""
        key = self._text(request, "key")
        chain = Chain(request.get("backends"), self.backends, self.protocol_error)
        import airflow.configuration as core_configuration

        custom = None
        if chain.backends and not chain.is_default(0):
            custom = chain.backends[0]
        try:
            with _environment(chain.environment), _patched(core_configuration, "get_custom_secret_backend", lambda worker_mode=False: custom):
                value = core_configuration.conf._get_config_value_from_secret_backend(key)
        except Exception as error:
            error.asc_known_values = self._known(chain, [])
            if type(error).__name__ == "AirflowConfigException":
                error.asc_kind = "configuration"
            raise
        return {"value": value, "calls": chain.calls()}

    @staticmethod
    def _known(chain: Chain, witnesses) -> list:
        return [*chain.known_values, *(value for witness in witnesses for value in witness.values)]
