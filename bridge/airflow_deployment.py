"""A real deployment's secrets, as its own Airflow sees them (bridge/PROTOCOL.md, "Deployment ops").

The bridge runs in deployment mode (`--deployment`): started with the deployment's airflow.cfg
(AIRFLOW_CONFIG), its AIRFLOW__* settings and its AIRFLOW_CONN_* / AIRFLOW_VAR_* entries, so
`ensure_secrets_loaded()` builds the chain the deployment's scheduler and API server build
([secrets] backend with backend_kwargs, then the environment, then the metastore), and the
metastore is the deployment's database. The ops run Airflow's own lookup functions over that chain
and record, per backend, what it was asked, what it answered, how long it took and how many HTTP
requests it sent (deployment_tracing.py). No op writes anything: lookups only read, and the
metastore is read with `select` (deployment_metastore.py).
"""

from __future__ import annotations

import time

from airflow_lookups import LOOKUP_METHOD, airflow_lookup, is_not_found
from airflow_process_state import airflow_backend_list
from bridge_backends import ask_backend, connection_fields
from bridge_errors import ProtocolError, describe, qualified_name
from bridge_logs import quiet_lookup_logs
from deployment_metastore import metastore_names, no_masking_on_load, read_metastore, refuse_missing_sqlite
from deployment_tracing import RequestCounter, Tracer, elapsed_ms, masked_connection, masked_text, measured
from family_plugins import owner_hook
from scoped_patches import patched

KINDS = ("connection", "variable", "config")
# Airflow's words for the kinds, as the families' list_names hooks take them.
PLURAL = {"connection": "connections", "variable": "variables", "config": "config"}


class DeploymentOps:
    def __init__(self, bridge_backends) -> None:
        self.bridge_backends = bridge_backends
        self.counter = RequestCounter()
        self.chain = None
        self.cache_ready = False

    def ops(self) -> dict:
        return {
            "deployment_chain": lambda r: self._chain_answer(),
            "deployment_lookup": self._lookup,
            "deployment_list_names": self._list_names,
            "deployment_checks": self._checks,
            "metastore_summary": lambda r: read_metastore("summary"),
            "metastore_export": lambda r: read_metastore("export"),
            "read_back": self._read_back,
        }

    def _read_back(self, request) -> dict:
        """`get_connection` / `get_variable` of an opened backend for many ids (migrate's verification):
        fields or value per item, or its error, without registering each value with the masker."""
        backend = self.bridge_backends.get(request.get("handle"))
        items = request.get("items")
        if not isinstance(items, list):
            raise ProtocolError('read_back needs "items": [{"kind", "id"}]')
        answers = []
        with no_masking_on_load(), quiet_lookup_logs():
            for item in items:
                kind, ident = item.get("kind"), item.get("id")
                method = "get_connection" if kind == "connection" else "get_variable"
                try:
                    found = ask_backend(backend, method, ident)
                    answers.append({"value": connection_fields(found) if kind == "connection" else found})
                except Exception as error:
                    answers.append({"error": describe(error, method)})
        return {"items": answers}

    # -- the chain --------------------------------------------------------------------------------

    def _backends(self):
        """Airflow's own list, built once as the scheduler builds it (`ensure_secrets_loaded`)."""
        if self.chain is None:
            import airflow.configuration as configuration

            refuse_missing_sqlite()
            try:
                self.chain = list(configuration.ensure_secrets_loaded())
            except Exception as error:
                error.asc_kind = "configuration"
                raise
            # What the import would have kept had the custom backend not been hidden for it: Airflow's
            # lookups then reuse these instances (one client, one login) instead of building new ones.
            configuration.secrets_backend_list = self.chain
        return self.chain

    def _cache(self) -> dict:
        """The DAG processor's `SecretCache.init()`, reading [secrets] use_cache and cache_ttl_seconds."""
        from airflow.configuration import conf
        from airflow.sdk.execution_time.cache import SecretCache

        if not self.cache_ready:
            SecretCache.init()
            self.cache_ready = True
        ttl = getattr(SecretCache, "_ttl", None)
        return {
            "enabled": SecretCache._cache is not None,
            "ttl_seconds": ttl.total_seconds() if SecretCache._cache is not None and ttl is not None else None,
            "configured": conf.getboolean("secrets", "use_cache", fallback=False),
        }

    def _chain_answer(self) -> dict:
        from airflow.secrets.environment_variables import EnvironmentVariablesBackend
        from airflow.secrets.metastore import MetastoreBackend

        entries = []
        for index, backend in enumerate(self._backends()):
            default = isinstance(backend, (EnvironmentVariablesBackend, MetastoreBackend))
            entries.append({"index": index, "class": qualified_name(type(backend)), "default": default})
        return {"backends": entries, "cache": self._cache()}

    # -- one lookup, traced -----------------------------------------------------------------------

    def _traced(self, ms: float, before: int, steps: list, found, served_by, cache: dict, value, error_answer, **extra) -> dict:
        """The answer of `deployment_lookup`, whichever sources were asked."""
        answer = {
            "found": found,
            "served_by": served_by,
            "steps": steps,
            "ms": ms,
            "requests": self.counter.count - before,
            "cache": cache,
            **extra,
            "value": value,
        }
        if error_answer is not None:
            answer["error"] = error_answer
        return answer

    def _lookup(self, request) -> dict:
        what = request.get("what")
        ident = request.get("subject")
        if what not in KINDS or not isinstance(ident, str):
            raise ProtocolError('deployment_lookup needs "what" (connection, variable or config) and "subject" (str)')
        if what == "config":
            return self._config_lookup(ident)
        backends = self._backends()
        cache = self._cache()
        tracer = Tracer(backends, what, self.counter)
        before = self.counter.count
        started = time.perf_counter()
        error_answer = None
        value = None
        # Airflow rebuilds a list of its two defaults on every call (ensure_secrets_loaded); for the call it
        # answers the instances traced here, built the same way.
        with self.counter.counting(), quiet_lookup_logs(), airflow_backend_list(backends), tracer:
            try:
                value = airflow_lookup("core", what, ident)
            except Exception as error:
                if not is_not_found(error):
                    error_answer = describe(error, LOOKUP_METHOD[what])
                value = None
        total_ms = elapsed_ms(started)
        asked = [step for step in tracer.steps if step["asked"]]
        found = value is not None
        served = None
        if found:
            served = next((step["index"] for step in asked if step.get("outcome") == "found"), None)
            if not asked:
                served = "cache"
        elif not asked and cache["enabled"] and what == "variable" and error_answer is None:
            # Core caches a variable miss too ("we save None as well"): the cache answered "not found".
            served = "cache"
        for index, error in tracer.errors:
            tracer.steps[index]["error"] = describe(error, LOOKUP_METHOD[what])
        shown = (masked_connection(value) if what == "connection" else masked_text(value)) if found else None
        return self._traced(total_ms, before, tracer.steps, found, served, cache, shown, error_answer)

    def _config_lookup(self, ident: str) -> dict:
        """`conf.get(section, key)` source by source, in Airflow's own `_lookup_sequence`."""
        from airflow._shared.configuration.parser import VALUE_NOT_FOUND_SENTINEL
        from airflow.configuration import conf

        section, _, key = ident.partition("/")
        if not section or not key:
            raise ProtocolError('a config id is "section/key"')
        secret_paths: list[str] = []
        original = conf._get_config_value_from_secret_backend

        def recording(config_key):
            secret_paths.append(config_key)
            return original(config_key)

        steps = []
        found = None
        error_answer = None
        before = self.counter.count
        started = time.perf_counter()
        with self.counter.counting(), quiet_lookup_logs(), patched(conf, "_get_config_value_from_secret_backend", recording):
            for index, method in enumerate(conf._lookup_sequence):
                paths_before = len(secret_paths)
                step = {"index": index, "class": method.__name__, "asked": True}
                steps.append(step)
                try:
                    value = measured(step, self.counter, lambda: method(
                        deprecated_key=None, deprecated_section=None, key=key, section=section, issue_warning=False, extra_stacklevel=0
                    ))
                except Exception as error:
                    step.update(outcome="error", error=describe(error, "get_config"))
                    error_answer = step["error"]
                    break
                finally:
                    if len(secret_paths) > paths_before:
                        step["secret_path"] = secret_paths[-1]
                if value is VALUE_NOT_FOUND_SENTINEL:
                    step["outcome"] = "not-found"
                    continue
                step["outcome"] = "found"
                found = value
                break
        served = next((s["index"] for s in steps if s.get("outcome") == "found"), None)
        cache = {"enabled": False, "ttl_seconds": None, "configured": False}
        return self._traced(
            elapsed_ms(started), before, steps, found is not None, served, cache, masked_text(found) if found is not None else None, error_answer,
            sensitive=(section.lower(), key.lower()) in conf.sensitive_config_values,
        )

    # -- what a store holds near a name -----------------------------------------------------------

    def _list_names(self, request) -> dict:
        index = request.get("index")
        kind = request.get("kind")
        backends = self._backends()
        if not isinstance(index, int) or not 0 <= index < len(backends) or kind not in KINDS:
            raise ProtocolError('deployment_list_names needs "index" (a backend of the chain) and "kind"')
        backend = backends[index]
        from airflow.secrets.metastore import MetastoreBackend

        try:
            with quiet_lookup_logs():
                if isinstance(backend, MetastoreBackend):
                    names = metastore_names(kind)
                else:
                    names = self._plugin_call("list_names", backend, PLURAL[kind])
        except Exception as error:
            return {"listed": False, "error": describe(error, "list")}
        if names is None:
            return {"listed": False, "reason": f"no lister for {qualified_name(type(backend))}"}
        return {"listed": True, "names": sorted(set(names))[:5000]}

    @staticmethod
    def _plugin_call(hook_name: str, backend, *args):
        """The hook of the family that owns the backend's class, called; None when no family has one."""
        hook = owner_hook(hook_name, backend)
        return hook(backend, *args) if hook is not None else None

    # -- doctor's per-backend checks ----------------------------------------------------------------

    def _checks(self, request) -> dict:
        """Each family's `doctor_checks` for the custom backend of the chain (index 0 unless a default)."""
        backends = self._backends()
        chain = self._chain_answer()["backends"]
        if not chain or chain[0]["default"]:
            return {"checks": [], "owned": False}
        backend = backends[0]
        with self.counter.counting(), quiet_lookup_logs():
            checks = self._plugin_call("doctor_checks", backend, describe)
        return {"checks": checks or [], "owned": checks is not None}
