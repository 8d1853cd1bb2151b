"""Airflow's own secrets search path and SecretCache, for the harness (bridge/PROTOCOL.md, "Search path ops").

A lookup runs Airflow 3.3.2's own functions (airflow_lookups.py), server side (`core`) or task side
(`sdk`). Nothing of their loop is re-implemented here: for the duration of one call, the function
Airflow asks for its backend list answers the chain the harness asked for (search_path_chain.py), the
class-level store of `SecretCache` is the one opened for that chain, and the clock `SecretCache` reads
is the harness's fake clock (airflow_process_state.py). Everything is restored afterwards, so calls do
not see each other's state.
"""

from __future__ import annotations

import contextlib
import functools

from airflow_lookups import LOOKUP_METHOD, airflow_lookup, is_not_found
from airflow_process_state import Caches, airflow_backend_list, cache_clock, connection_class_set
from bridge_backends import ValueWitness, connection_class_named, connection_fields
from bridge_errors import ProtocolError, describe, required_field
from bridge_logs import quiet_lookup_logs
from scoped_patches import MethodWatch, environment, patched
from search_path_chain import Chain

MODES = ("core", "sdk")


class Recorder(MethodWatch):
    """Watches each top-level backend's get_connection / get_variable during one call: who was asked,
    who answered, what each raised. Airflow logs a skipped failure and moves on; this keeps it."""

    def __init__(self, backends) -> None:
        super().__init__(backends, ("get_connection", "get_variable"))
        self.asked = 0
        self.answered: int | None = None
        self.failures: list[tuple[int, BaseException]] = []

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


def _connection_flavour(connection) -> str:
    from airflow.models.connection import Connection as CoreConnection

    return "core" if isinstance(connection, CoreConnection) else "sdk"


def _known(chain: Chain, witnesses=()) -> list:
    return [*chain.known_values, *(value for witness in witnesses for value in witness.values)]


class SearchPathOps:
    """The protocol ops, over the bridge's open backends."""

    def __init__(self, backends) -> None:
        self.backends = backends
        self.caches = Caches()

    def ops(self) -> dict:
        return {
            "secret_cache_open": lambda r: self.caches.open(r.get("use_cache"), r.get("cache_ttl_seconds")),
            "search_path_get_connection": lambda r: self._lookup(r, "connection"),
            "search_path_get_variable": lambda r: self._lookup(r, "variable"),
            "search_path_variable_written": self._variable_written,
            "search_path_get_config": self._get_config,
        }

    @staticmethod
    def _mode(request) -> str:
        mode = request.get("mode", "core")
        if mode not in MODES:
            raise ProtocolError(f'"mode" must be "core" or "sdk", not {mode!r}')
        return mode

    @contextlib.contextmanager
    def _running(self, request, chain: Chain, mode: str, witnesses=None):
        """Airflow's state for one call: its backend list, their connection class, the cache, the clock.
        A failure inside carries the values the chain holds (`asc_known_values`), for its message to withhold."""
        clock_ms = request.get("clock_ms")
        if clock_ms is not None and (isinstance(clock_ms, bool) or not isinstance(clock_ms, (int, float))):
            raise ProtocolError('"clock_ms" must be a number of milliseconds since the epoch')
        try:
            with contextlib.ExitStack() as stack:
                live = stack.enter_context(self.caches.active(request.get("cache")))
                stack.enter_context(environment(chain.environment))
                stack.enter_context(airflow_backend_list(chain.backends))
                stack.enter_context(connection_class_set(chain.instances, connection_class_named(mode)))
                stack.enter_context(cache_clock(clock_ms))
                stack.enter_context(quiet_lookup_logs())
                yield live
        except Exception as error:
            error.asc_known_values = _known(chain, witnesses or ())
            raise

    def _lookup(self, request, what: str) -> dict:
        mode = self._mode(request)
        subject = required_field(request, "conn_id" if what == "connection" else "key")
        chain = Chain(request.get("backends"), self.backends)
        recorder = Recorder(chain.backends)
        witnesses = []
        with self._running(request, chain, mode, witnesses) as live, contextlib.ExitStack() as watching:
            if what == "connection":
                for instance in chain.instances:
                    witnesses.append(watching.enter_context(ValueWitness(instance)))
            watching.enter_context(recorder)
            try:
                value = airflow_lookup(mode, what, subject)
            except Exception as error:
                if not is_not_found(error):
                    raise
                value = None
        known = _known(chain, witnesses)
        answer = {
            "value": connection_fields(value) if what == "connection" else value,
            "served_by": self._served_by(live, recorder, chain, what, value),
            "failures": [{"index": index, "error": describe(error, LOOKUP_METHOD[what], known)} for index, error in recorder.failures],
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

    def _variable_written(self, request) -> dict:
        """What `Variable.set` / `Variable.delete` (models/variable.py) do around their database write,
        which the harness makes in its own metastore: set checks the chain for a backend that shadows the
        key (`check_for_write_conflict`, which only logs), and both invalidate the key in the cache."""
        mode = self._mode(request)
        key = required_field(request, "key")
        action = request.get("action")
        if action not in ("set", "delete"):
            raise ProtocolError('"action" must be "set" or "delete"')
        chain = Chain(request.get("backends"), self.backends)
        with self._running(request, chain, mode):
            from airflow.models.variable import Variable
            from airflow.sdk.execution_time.cache import SecretCache

            if action == "set":
                Variable.check_for_write_conflict(key=key)
            SecretCache.invalidate_variable(key)
        return {"calls": chain.calls()}

    def _get_config(self, request) -> dict:
        """`conf._get_config_value_from_secret_backend`: only the `[secrets] backend` is asked, which in
        Airflow's list is the head; a chain headed by one of Airflow's defaults has none."""
        key = required_field(request, "key")
        chain = Chain(request.get("backends"), self.backends)
        import airflow.configuration as core_configuration

        custom = None
        if chain.backends and not chain.is_default(0):
            custom = chain.backends[0]
        try:
            with environment(chain.environment), patched(core_configuration, "get_custom_secret_backend", lambda worker_mode=False: custom):
                value = core_configuration.conf._get_config_value_from_secret_backend(key)
        except Exception as error:
            error.asc_known_values = _known(chain)
            if type(error).__name__ == "AirflowConfigException":
                error.asc_kind = "configuration"
            raise
        return {"value": value, "calls": chain.calls()}
