"""A real deployment's secrets, as its own Airflow sees them (bridge/PROTOCOL.md, "Deployment ops").

The bridge runs in deployment mode (`--deployment`): started with the deployment's airflow.cfg
(AIRFLOW_CONFIG), its AIRFLOW__* settings and its AIRFLOW_CONN_* / AIRFLOW_VAR_* entries, so
`ensure_secrets_loaded()` builds the chain the deployment's scheduler and API server build
([secrets] backend with backend_kwargs, then the environment, then the metastore), and the
metastore is the deployment's database. The ops run Airflow's own lookup functions over that chain
and record, per backend, what it was asked, what it answered, how long it took and how many HTTP
requests it sent. No op writes anything: lookups only read, and the metastore is read with
`select`.

`inspect_backend` also runs in the ordinary (isolated) bridge: it imports a class and reads its
constructor, which needs no deployment.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import time

from airflow._shared.module_loading import import_string
from airflow._shared.secrets_backend.base import call_secrets_backend_method

KINDS = ("connection", "variable", "config")
# Airflow's words for the kinds, as the families' list_names hooks take them.
PLURAL = {"connection": "connections", "variable": "variables", "config": "config"}
_MISSING = object()


def _qualified(cls) -> str:
    module = getattr(cls, "__module__", "") or ""
    return f"{module}.{cls.__qualname__}" if module not in ("", "builtins") else cls.__qualname__


class RequestCounter:
    """HTTP requests leaving this process (hvac and botocore both send through urllib3's pools)."""

    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def counting(self):
        import urllib3.connectionpool as pools

        original = pools.HTTPConnectionPool._make_request
        counter = self

        def counted(pool, *args, **kwargs):
            counter.count += 1
            return original(pool, *args, **kwargs)

        pools.HTTPConnectionPool._make_request = counted
        try:
            yield self
        finally:
            pools.HTTPConnectionPool._make_request = original


class Tracer:
    """Watches each backend of the chain during one lookup: asked or not, its answer or its failure,
    its time and the HTTP requests it sent. Airflow logs and skips a failing backend; this keeps it."""

    METHODS = {"connection": "get_connection", "variable": "get_variable", "config": "get_config"}

    def __init__(self, backends, what: str, counter: RequestCounter) -> None:
        self.backends = backends
        self.method = self.METHODS[what]
        self.what = what
        self.counter = counter
        self.steps = [{"index": i, "class": _qualified(type(b)), "asked": False} for i, b in enumerate(backends)]
        self.errors: list[tuple[int, BaseException]] = []
        self._saved: list[tuple[object, object]] = []

    def __enter__(self):
        for index, backend in enumerate(self.backends):
            self._saved.append((backend, vars(backend).get(self.method, _MISSING)))
            setattr(backend, self.method, self._watch(index, getattr(backend, self.method)))
        return self

    def __exit__(self, *exc):
        for backend, previous in reversed(self._saved):
            if previous is _MISSING:
                vars(backend).pop(self.method, None)
            else:
                setattr(backend, self.method, previous)
        return False

    def _watch(self, index: int, method):
        import functools

        @functools.wraps(method)
        def watched(*args, **kwargs):
            step = self.steps[index]
            step["asked"] = True
            before = self.counter.count
            started = time.perf_counter()
            try:
                found = method(*args, **kwargs)
            except BaseException as error:
                step["ms"] = round((time.perf_counter() - started) * 1000, 3)
                step["requests"] = self.counter.count - before
                step["outcome"] = "error"
                self.errors.append((index, error))
                raise
            step["ms"] = round((time.perf_counter() - started) * 1000, 3)
            step["requests"] = self.counter.count - before
            # The loops' own tests: a truthy connection, a variable that is not None.
            hit = bool(found) if self.what == "connection" else found is not None
            step["outcome"] = "found" if hit else "not-found"
            if self.what == "variable" and found == "":
                step["empty"] = True
            return found

        return watched


def _masked_connection(connection) -> dict | None:
    """The connection as Airflow's own secrets masker would show it: the password and every sensitive
    extra replaced by ***."""
    if connection is None:
        return None
    from airflow._shared.secrets_masker.secrets_masker import redact

    try:
        extra = connection.extra_dejson
    except Exception:
        extra = "(not JSON)"
    return {
        "conn_type": connection.conn_type,
        "host": connection.host,
        "login": connection.login,
        "password": "***" if connection.password else connection.password,
        "schema": connection.schema,
        "port": connection.port,
        "extra": redact(extra) if isinstance(extra, dict) else extra,
    }


def _masked_text(value) -> dict | None:
    if value is None:
        return None
    text = str(value)
    return {"length": len(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]}


class DeploymentOps:
    def __init__(self, bridge_backends, describe, connection_fields, plugins, protocol_error, configuration_problem, quiet_logs, is_not_found, backend_list) -> None:
        self.bridge_backends = bridge_backends
        self.describe = describe
        self.connection_fields = connection_fields
        self.plugins = plugins
        self.protocol_error = protocol_error
        self.configuration_problem = configuration_problem
        self.quiet_logs = quiet_logs
        self.is_not_found = is_not_found
        self.backend_list = backend_list
        self.counter = RequestCounter()
        self.chain = None
        self.cache_ready = False

    def ops(self) -> dict:
        return {
            "deployment_chain": lambda r: self._chain_answer(),
            "deployment_lookup": self._lookup,
            "deployment_list_names": self._list_names,
            "deployment_checks": self._checks,
            "metastore_summary": lambda r: self._metastore("summary"),
            "metastore_export": lambda r: self._metastore("export"),
            "read_back": self._read_back,
        }

    def _read_back(self, request) -> dict:
        """`get_connection` / `get_variable` of an opened backend for many ids (migrate's verification):
        fields or value per item, or its error, without registering each value with the masker."""
        backend = self.bridge_backends.get(request.get("handle"))
        items = request.get("items")
        if not isinstance(items, list):
            raise self.protocol_error('read_back needs "items": [{"kind", "id"}]')
        answers = []
        with _no_masking_on_load(), self.quiet_logs():
            for item in items:
                kind, ident = item.get("kind"), item.get("id")
                try:
                    if kind == "connection":
                        found = call_secrets_backend_method(backend.get_connection, team_name=None, conn_id=ident)
                        answers.append({"value": self.connection_fields(found)})
                    else:
                        answers.append({"value": call_secrets_backend_method(backend.get_variable, team_name=None, key=ident)})
                except Exception as error:
                    answers.append({"error": self.describe(error, "get_connection" if kind == "connection" else "get_variable")})
        return {"items": answers}

    # -- the chain --------------------------------------------------------------------------------

    def _backends(self):
        """Airflow's own list, built once as the scheduler builds it (`ensure_secrets_loaded`)."""
        if self.chain is None:
            import airflow.configuration as configuration

            _refuse_missing_sqlite()
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
            entries.append({"index": index, "class": _qualified(type(backend)), "default": default})
        return {"backends": entries, "cache": self._cache()}

    # -- one lookup, traced -----------------------------------------------------------------------

    def _lookup(self, request) -> dict:
        what = request.get("what")
        ident = request.get("subject")
        if what not in KINDS or not isinstance(ident, str):
            raise self.protocol_error('deployment_lookup needs "what" (connection, variable or config) and "subject" (str)')
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
        with self.counter.counting(), self.quiet_logs(), self.backend_list(backends), tracer:
            try:
                if what == "connection":
                    from airflow.models.connection import Connection

                    value = Connection.get_connection_from_secrets(ident)
                else:
                    from airflow.models.variable import Variable

                    value = Variable.get_variable_from_secrets(ident)
            except Exception as error:
                if not self.is_not_found(error):
                    error_answer = self.describe(error, "get_connection" if what == "connection" else "get_variable")
                value = None
        total_ms = round((time.perf_counter() - started) * 1000, 3)
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
            tracer.steps[index]["error"] = self.describe(error, "get_connection" if what == "connection" else "get_variable")
        answer = {
            "found": found,
            "served_by": served,
            "steps": tracer.steps,
            "ms": total_ms,
            "requests": self.counter.count - before,
            "cache": cache,
            "value": (_masked_connection(value) if what == "connection" else _masked_text(value)) if found else None,
        }
        if error_answer is not None:
            answer["error"] = error_answer
        return answer

    def _config_lookup(self, ident: str) -> dict:
        """`conf.get(section, key)` source by source, in Airflow's own `_lookup_sequence`."""
        from airflow._shared.configuration.parser import VALUE_NOT_FOUND_SENTINEL
        from airflow.configuration import conf

        section, _, key = ident.partition("/")
        if not section or not key:
            raise self.protocol_error('a config id is "section/key"')
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
        with self.counter.counting(), self.quiet_logs():
            conf._get_config_value_from_secret_backend = recording
            try:
                for index, method in enumerate(conf._lookup_sequence):
                    step_started = time.perf_counter()
                    step_before = self.counter.count
                    paths_before = len(secret_paths)
                    step = {"index": index, "class": method.__name__, "asked": True}
                    steps.append(step)
                    try:
                        value = method(
                            deprecated_key=None, deprecated_section=None, key=key, section=section, issue_warning=False, extra_stacklevel=0
                        )
                    except Exception as error:
                        step.update(outcome="error", error=self.describe(error, "get_config"))
                        error_answer = step["error"]
                        break
                    finally:
                        step["ms"] = round((time.perf_counter() - step_started) * 1000, 3)
                        step["requests"] = self.counter.count - step_before
                        if len(secret_paths) > paths_before:
                            step["secret_path"] = secret_paths[-1]
                    if value is VALUE_NOT_FOUND_SENTINEL:
                        step["outcome"] = "not-found"
                        continue
                    step["outcome"] = "found"
                    found = value
                    break
            finally:
                del conf._get_config_value_from_secret_backend
        answer = {
            "found": found is not None,
            "served_by": next((s["index"] for s in steps if s.get("outcome") == "found"), None),
            "steps": steps,
            "ms": round((time.perf_counter() - started) * 1000, 3),
            "requests": self.counter.count - before,
            "cache": {"enabled": False, "ttl_seconds": None, "configured": False},
            "sensitive": (section.lower(), key.lower()) in conf.sensitive_config_values,
            "value": _masked_text(found) if found is not None else None,
        }
        if error_answer is not None:
            answer["error"] = error_answer
        return answer

    # -- what a store holds near a name -----------------------------------------------------------

    def _list_names(self, request) -> dict:
        index = request.get("index")
        kind = request.get("kind")
        backends = self._backends()
        if not isinstance(index, int) or not 0 <= index < len(backends) or kind not in KINDS:
            raise self.protocol_error('deployment_list_names needs "index" (a backend of the chain) and "kind"')
        backend = backends[index]
        from airflow.secrets.metastore import MetastoreBackend

        try:
            with self.quiet_logs():
                if isinstance(backend, MetastoreBackend):
                    names = self._metastore_names(kind)
                else:
                    names = self._plugin_call("list_names", backend, PLURAL[kind])
        except Exception as error:
            return {"listed": False, "error": self.describe(error, "list")}
        if names is None:
            return {"listed": False, "reason": f"no lister for {_qualified(type(backend))}"}
        return {"listed": True, "names": sorted(set(names))[:5000]}

    def _plugin_call(self, hook: str, backend, *args):
        """The first family plugin that owns the backend's class and defines `hook`; None when none does."""
        for plugin in self.plugins:
            function = getattr(plugin, hook, None)
            if function is None or not _owns(plugin, backend):
                continue
            return function(backend, *args)
        return None

    def _metastore_names(self, kind: str) -> list:
        from sqlalchemy import select

        from airflow.models.connection import Connection
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session

        if kind == "config":
            return []
        column = Connection.conn_id if kind == "connection" else Variable.key
        with create_session() as session:
            return [row for row in session.scalars(select(column))]

    # -- doctor's per-backend checks ----------------------------------------------------------------

    def _checks(self, request) -> dict:
        """Each family's `doctor_checks` for the custom backend of the chain (index 0 unless a default)."""
        backends = self._backends()
        chain = self._chain_answer()["backends"]
        if not chain or chain[0]["default"]:
            return {"checks": [], "owned": False}
        backend = backends[0]
        with self.counter.counting(), self.quiet_logs():
            checks = self._plugin_call("doctor_checks", backend, self.describe)
        return {"checks": checks or [], "owned": checks is not None}

    # -- the metastore ------------------------------------------------------------------------------

    def _metastore(self, what: str) -> dict:
        from sqlalchemy import func, select

        from airflow.models.connection import Connection
        from airflow.models.variable import Variable
        from airflow.utils.session import create_session

        _refuse_missing_sqlite()
        try:
            with _no_masking_on_load(), create_session() as session:
                if what == "summary":
                    return {
                        "connections": session.scalar(select(func.count()).select_from(Connection)),
                        "variables": session.scalar(select(func.count()).select_from(Variable)),
                        "dialect": session.get_bind().dialect.name,
                    }
                # The fields as the ORM gives them (password and extra decrypted); not as_json(), which
                # registers every value with the secrets masker and grows slower with each row.
                connections = [self.connection_fields(connection) for connection in session.scalars(select(Connection).order_by(Connection.conn_id))]
                variables = [
                    {"key": variable.key, "value": variable.val, "description": variable.description}
                    for variable in session.scalars(select(Variable).order_by(Variable.key))
                ]
                return {"connections": connections, "variables": variables}
        except Exception as error:
            error.asc_kind = _database_kind(error)
            raise


@contextlib.contextmanager
def _no_masking_on_load():
    """Airflow's `Connection.on_db_load` registers every loaded password and extra with the secrets masker,
    which recompiles its pattern of all values each time: loading n rows costs O(n^2) (500 rows: about a
    minute). The export prints nothing, so for its duration the registration is skipped."""
    import airflow.models.connection as connection_module

    original = connection_module.mask_secret
    connection_module.mask_secret = lambda *_args, **_kwargs: None
    try:
        yield
    finally:
        connection_module.mask_secret = original


def _owns(plugin, backend) -> bool:
    for name in getattr(plugin, "BACKEND_CLASSES", ()):
        try:
            cls = import_string(name)
        except ImportError:
            continue
        if isinstance(backend, cls):
            return True
    return False


def _refuse_missing_sqlite() -> None:
    """SQLite creates a database file on first connect: a metastore that is not there must stay not there."""
    from airflow.configuration import conf
    from airflow.exceptions import AirflowConfigException

    url = conf.get("database", "sql_alchemy_conn", fallback="") or ""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):].split("?", 1)[0]
        if path and path != ":memory:" and not os.path.exists(path):
            error = AirflowConfigException(f"the metastore {path} does not exist")
            error.asc_kind = "configuration"
            raise error


def _database_kind(error) -> str:
    text = str(error).lower()
    if "no such table" in text or "does not exist" in text or "undefinedtable" in text:
        return "configuration"
    if "could not connect" in text or "connection refused" in text or "unable to open database" in text:
        return "unavailable"
    if "password authentication failed" in text:
        return "unauthorized"
    return "unavailable"


# ---------------------------------------------------------------------------------------------
# inspect_backend: the class and its constructor, for doctor (no deployment needed).


def inspect_backend(request, plugins, configuration_problem) -> dict:
    path = request.get("backend")
    if not isinstance(path, str) or not path:
        raise configuration_problem('inspect_backend needs "backend" (a dotted class path)')
    try:
        cls = import_string(path)
    except ImportError as error:
        return {"imports": False, "import_error": f"{type(error).__name__}: {error}"}
    except Exception as error:  # a module that fails while importing
        return {"imports": False, "import_error": f"{type(error).__name__}: {error}"}
    from airflow.secrets import BaseSecretsBackend

    parameters = []
    var_keyword = False
    try:
        signature = inspect.signature(cls.__init__)
        for name, parameter in signature.parameters.items():
            if name == "self":
                continue
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                var_keyword = True
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                parameters.append(name)
    except (TypeError, ValueError):
        pass
    passthrough = None
    for plugin in plugins:
        function = getattr(plugin, "passthrough_parameters", None)
        if function is None or path not in getattr(plugin, "BACKEND_CLASSES", ()):
            continue
        found = function(cls)
        if found is not None:
            target, names = found
            passthrough = {"target": target, "parameters": sorted(names)}
            break
    return {
        "imports": True,
        "class": _qualified(cls),
        "is_secrets_backend": isinstance(cls, type) and issubclass(cls, BaseSecretsBackend),
        "parameters": parameters,
        "var_keyword": var_keyword,
        "passthrough": passthrough,
    }
