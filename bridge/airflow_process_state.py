"""Airflow's process-wide state, set for one call and restored after it: the backend list its lookups
iterate, the connection class its backends build, the store of its SecretCache and the clock that
cache reads. The search path ops set all four from the request; the deployment ops the backend list.
"""

from __future__ import annotations

import contextlib
import datetime
import sys

from bridge_errors import ConfigurationProblem
from scoped_patches import environment, patched

# The module whose calls to `airflow.sdk.timezone.utcnow` see the fake clock; nothing else does.
CACHE_MODULE = "airflow.sdk.execution_time.cache"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MISSING = object()


@contextlib.contextmanager
def airflow_backend_list(backends):
    """The list Airflow iterates, for this call: what `ensure_secrets_loaded` (core, both the import in
    models/variable.py and the one models/connection.py makes at call time) and the task SDK's
    `ensure_secrets_backend_loaded` answer."""
    import airflow.configuration as core_configuration
    import airflow.models.variable as core_variable
    import airflow.sdk.execution_time.supervisor as supervisor

    def loaded(*_args, **_kwargs):
        return list(backends)

    with contextlib.ExitStack() as stack:
        stack.enter_context(patched(core_configuration, "ensure_secrets_loaded", loaded))
        stack.enter_context(patched(core_variable, "ensure_secrets_loaded", loaded))
        stack.enter_context(patched(supervisor, "ensure_secrets_backend_loaded", loaded))
        yield


@contextlib.contextmanager
def connection_class_set(backends, conn_class):
    """The class Airflow sets on every backend of its list: the core model on the server side
    (airflow/configuration.py initialize_secrets_backends), the task SDK's on the task side
    (airflow/sdk/configuration.py). Restored afterwards: an opened backend keeps the one `open` gave it."""
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
def cache_clock(clock_ms):
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

    with patched(timezone, "utcnow", utcnow):
        yield


@contextlib.contextmanager
def _secret_cache_holding(store, ttl):
    """Airflow's SecretCache with `store` and `ttl` as its class-level state for the block."""
    from airflow.sdk.execution_time.cache import SecretCache

    saved = (SecretCache._cache, getattr(SecretCache, "_ttl", None))
    SecretCache._cache, SecretCache._ttl = store, ttl
    try:
        yield SecretCache
    finally:
        SecretCache._cache, SecretCache._ttl = saved


class Caches:
    """SecretCache stores, one per cache the harness opened. Airflow's SecretCache is one per process
    (class attributes); each call swaps in the store of the cache it names, so chains stay apart.
    A store lives as long as the bridge (a case's cache holds a handful of entries)."""

    def __init__(self) -> None:
        self.stores: dict[str, tuple] = {}
        self.opened = 0

    def open(self, use_cache, ttl_seconds) -> dict:
        if not isinstance(use_cache, bool):
            raise ConfigurationProblem('secret_cache_open needs "use_cache" (true or false)')
        # Airflow reads both settings itself, in SecretCache.init(), from [secrets]; no TTL means its fallback.
        settings = {
            "AIRFLOW__SECRETS__USE_CACHE": str(use_cache),
            "AIRFLOW__SECRETS__CACHE_TTL_SECONDS": None if ttl_seconds is None else str(ttl_seconds),
        }
        with _secret_cache_holding(None, None) as SecretCache:
            SecretCache.reset()
            with environment(settings):
                try:
                    SecretCache.init()
                except Exception as error:
                    # A setting Airflow cannot read (a TTL that is not a whole number) is the configuration's fault.
                    error.asc_kind = "configuration"
                    raise
            store, ttl = SecretCache._cache, getattr(SecretCache, "_ttl", None)
        self.opened += 1
        handle = f"c{self.opened}"
        self.stores[handle] = (store, ttl)
        return {
            "cache": handle,
            "enabled": store is not None,
            "ttl_seconds": ttl.total_seconds() if store is not None and ttl is not None else None,
        }

    @contextlib.contextmanager
    def active(self, handle):
        """`SecretCache` as the named cache left it; with no cache, as Airflow leaves it when
        `[secrets] use_cache` is off (never initialised: every get misses, every save is dropped)."""
        if handle is None:
            store, ttl = None, datetime.timedelta(0)
        elif handle in self.stores:
            store, ttl = self.stores[handle]
        else:
            raise ConfigurationProblem(f"unknown cache {handle!r}: open it with secret_cache_open first")
        with _secret_cache_holding(store, ttl):
            yield store is not None
