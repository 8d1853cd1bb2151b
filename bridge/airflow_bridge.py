"""Airflow secrets backends served over the JSON-lines protocol of bridge/PROTOCOL.md.

Run it with the pinned Airflow venv (.cache/airflow-venv/bin/python). Backends are built the way
Airflow builds `[secrets] backend`: the class imported by dotted path, `cls(**backend_kwargs)`, and
the connection class set as `initialize_secrets_backends()` sets it. One process serves many
backend instances (`open` hands out handles).

stdout carries protocol answers only: Airflow's log output (structlog writes to stdout) is moved
to stderr, which the harness captures to a log file.

    python bridge/airflow_bridge.py [--sys-path DIR]... [--backend DOTTED.PATH] [--kwargs JSON]
                                    [--kwarg NAME=VALUE]... [--layout NAME]
                                    [--format NAME] [--deployment]

`--backend`/`--kwargs`/`--kwarg` are the defaults of `open`; `--layout`/`--format` declare, in `hello`, which
fixture store layout the backend reads (for `--backend-command` certification of your own class).
`--deployment` serves a real deployment (airflow_deployment.py): the environment the bridge is started with
(AIRFLOW_CONFIG, AIRFLOW__*, AIRFLOW_CONN_* / AIRFLOW_VAR_*) is the deployment's and is kept.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import json
import logging
import os
import re
import sys
import sysconfig
import tempfile
import time
import traceback
import warnings

PROTOCOL_VERSION = 1
IMPLEMENTATION = "airflow-bridge"

# Environment entries the harness owns: it mirrors them in with the `env` op, so nothing the bridge
# inherits at spawn may answer a lookup.
MIRRORED_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW_VAR_")


def _claim_stdout():
    """Keep fd 1 for answers; everything else written to stdout, by name or by fd, lands on stderr."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answers


ANSWERS = _claim_stdout()


def _parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="airflow_bridge.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sys-path", action="append", default=[], help="a folder to put on sys.path (repeatable)")
    parser.add_argument("--backend", default=None, help="default backend class for `open`")
    parser.add_argument("--kwargs", default=None, help="default backend kwargs for `open`, a JSON object")
    parser.add_argument("--kwarg", action="append", default=[], metavar="NAME=VALUE",
                        help="one default kwarg, a raw string like AIRFLOW__SECRETS__BACKEND_KWARG__<NAME> (repeatable)")
    # Checked by the harness against the layouts its families register.
    parser.add_argument("--layout", default=None)
    parser.add_argument("--format", default=None)
    parser.add_argument("--deployment", action="store_true", help="keep the environment: it is a real deployment's")
    return parser.parse_args(argv)


ARGUMENTS = _parse_arguments(sys.argv[1:])
try:
    DEFAULT_KWARGS = json.loads(ARGUMENTS.kwargs) if ARGUMENTS.kwargs else {}
except ValueError:
    DEFAULT_KWARGS = None
if not isinstance(DEFAULT_KWARGS, dict):
    sys.stderr.write("airflow_bridge.py: --kwargs must be a JSON object\n")
    sys.exit(2)
for assignment in ARGUMENTS.kwarg:
    name, equals, value = assignment.partition("=")
    if not equals or not name:
        sys.stderr.write(f"airflow_bridge.py: --kwarg takes NAME=VALUE, not {name!r}\n")
        sys.exit(2)
    DEFAULT_KWARGS[name] = value


def _isolate_airflow() -> None:
    """A throw-away AIRFLOW_HOME and no inherited Airflow settings: nothing real is read or written."""
    for name in list(os.environ):
        if name.startswith("AIRFLOW__") or name.startswith(MIRRORED_PREFIXES) or name == "AIRFLOW_CONFIG":
            del os.environ[name]
    home = tempfile.mkdtemp(prefix="asc-bridge-home-")
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home}/airflow.db"
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    # No Fernet key: the core Connection model keeps passwords and extras as the backend gave them.
    os.environ["AIRFLOW__CORE__FERNET_KEY"] = ""
    warnings.simplefilter("ignore")


@contextlib.contextmanager
def _deployment_import():
    """Airflow builds its secrets backend list when airflow.configuration is imported; a class that does
    not import or kwargs it refuses would end the process there. The custom backend is hidden for the
    import, and built by the first deployment op, where its failure is an answer."""
    warnings.simplefilter("ignore")
    saved = os.environ.get("AIRFLOW__SECRETS__BACKEND")
    os.environ["AIRFLOW__SECRETS__BACKEND"] = ""
    try:
        yield
    finally:
        if saved is None:
            del os.environ["AIRFLOW__SECRETS__BACKEND"]
        else:
            os.environ["AIRFLOW__SECRETS__BACKEND"] = saved


if not ARGUMENTS.deployment:
    _isolate_airflow()
for folder in reversed(ARGUMENTS.sys_path):
    sys.path.insert(0, os.path.abspath(folder))

with _deployment_import() if ARGUMENTS.deployment else contextlib.nullcontext():
    import airflow  # noqa: E402
    import airflow.configuration  # noqa: E402,F401
from airflow._shared.module_loading import import_string  # noqa: E402
from airflow._shared.secrets_backend.base import call_secrets_backend_method  # noqa: E402
from airflow_deployment import DeploymentOps, inspect_backend  # noqa: E402
from airflow_search_path import SearchPathOps, _airflow_backend_list, _is_not_found, _quiet_lookup_logs  # noqa: E402

# The level a deployment runs at (INFO), so whatever a backend logs there reaches the bridge's log, which
# the run's canary scan reads; a backend class of the user's own logs at DEBUG (see Backends.open).
logging.getLogger().setLevel(os.environ.get("ASC_BRIDGE_LOG_LEVEL", "INFO"))


# ---------------------------------------------------------------------------------------------
# Errors: every exception becomes {kind, type, message[, detail, errors, hint]}, secret-free.


class ProtocolError(Exception):
    """The request itself is wrong: not JSON, an unknown op, a missing field."""

    __module__ = "airflow_bridge"


class ConfigurationProblem(Exception):
    """A backend that cannot be built or used as asked (import failure, bad kwargs, unknown handle)."""

    __module__ = "airflow_bridge"


def _qualified_name(cls) -> str:
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def _lineage(error) -> list:
    return [_qualified_name(cls) for cls in type(error).__mro__]


def _any(lineage, names) -> bool:
    return any(name in lineage for name in names)


def _load_family_plugins() -> list:
    """Every backends/<family>/bridge_plugin.py: each family says how its provider's exceptions map
    to the harness's error kinds, and which distributions its behaviour depends on."""
    import importlib.util

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backends")
    plugins = []
    for family in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, family, "bridge_plugin.py")
        if not os.path.isfile(path):
            continue
        spec = importlib.util.spec_from_file_location(f"asc_bridge_plugin_{family}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        plugins.append(module)
    return plugins


PLUGINS = _load_family_plugins()


def _from_plugins(name: str) -> tuple:
    return tuple(entry for plugin in PLUGINS for entry in getattr(plugin, name, ()))


TIMEOUT_TYPES = (
    "TimeoutError",
    "socket.timeout",
    "requests.exceptions.Timeout",
    "urllib3.exceptions.TimeoutError",
) + _from_plugins("TIMEOUT_TYPES")
REFUSED_TYPES = (
    "urllib3.exceptions.NewConnectionError",
    "urllib3.exceptions.NameResolutionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
) + _from_plugins("REFUSED_TYPES")
UNAVAILABLE_TYPES = (
    "ConnectionError",
    "FileNotFoundError",
    "requests.exceptions.ConnectionError",
    "urllib3.exceptions.HTTPError",
) + _from_plugins("UNAVAILABLE_TYPES")
# Raised while a stored value is turned into a Connection: the value is malformed.
DESERIALIZATION_TYPES = (
    "ValueError",
    "TypeError",
    "IndexError",
    "KeyError",
    "airflow.exceptions.AirflowException",
    "airflow.sdk.exceptions.AirflowException",
)


def _plugin_kind(hook: str, error, lineage) -> str | None:
    for plugin in PLUGINS:
        decide = getattr(plugin, hook, None)
        kind = decide(error, lineage) if decide else None
        if kind:
            return kind
    return None


def _underlying(error, depth: int = 6) -> list:
    """The exception and what it wraps: urllib3's MaxRetryError keeps a read timeout in `reason`,
    and requests turns exhausted retries into a ConnectionError around it."""
    found = []
    pending = [error]
    while pending and len(found) < depth:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return found


def classify(error, during: str) -> tuple[str, str | None]:
    """(kind, detail) of an exception raised while answering `during` (an op name)."""
    lineage = _lineage(error)
    wrapped = [name for inner in _underlying(error) for name in _lineage(inner)]
    if getattr(error, "asc_kind", None):
        # Set where the failure's kind is known from where it happened (airflow_search_path.py).
        return error.asc_kind, None
    if isinstance(error, ProtocolError):
        return "protocol", None
    if isinstance(error, ConfigurationProblem):
        return "configuration", None
    if _any(lineage, ("airflow.exceptions.AirflowFileParseException",)):
        return "malformed", "file-parse"
    if _any(lineage, ("airflow.exceptions.ConnectionNotUnique", "airflow.exceptions.VariableNotUnique")):
        return "malformed", "not-unique"
    if _any(lineage, ("airflow.exceptions.AirflowUnsupportedFileTypeException", "NotImplementedError")):
        return "configuration", None
    if _any(lineage, ("PermissionError",)):
        return "forbidden", None
    kind = _plugin_kind("classify", error, lineage)
    if kind:
        return kind, None
    # urllib3's NewConnectionError (a refused connection) subclasses its ConnectTimeoutError.
    if _any(wrapped, REFUSED_TYPES):
        return "unavailable", None
    if _any(wrapped, TIMEOUT_TYPES):
        return "timeout", None
    if _any(lineage, UNAVAILABLE_TYPES):
        return "unavailable", None
    kind = _plugin_kind("classify_fallback", error, lineage)
    if kind:
        return kind, None
    # A stored value that is not the JSON it starts out as (Secrets Manager json.loads every "{"
    # value inside get_conn_value) is malformed whichever op met it.
    if _any(lineage, ("json.decoder.JSONDecodeError",)):
        return "malformed", "json"
    if during == "get_connection" and _any(lineage, DESERIALIZATION_TYPES) and _raised_while_deserializing(error):
        return "malformed", "connection-format"
    if during == "open":
        # Whatever the constructor raised (bad kwargs, a check of its own) is the backend's configuration.
        return "configuration", "constructor"
    return "unknown", None


# A value Airflow's own code refused (its connection model, its file parsers, urllib under them) is
# malformed; the same exception raised in the backend's own code (a KeyError for a missing id) is
# the backend's failure. The innermost frame outside the standard library tells which.
_AIRFLOW_PACKAGE = os.path.dirname(os.path.abspath(airflow.__file__)) + os.sep
_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep


def _raised_while_deserializing(error) -> bool:
    frames = []
    frame = error.__traceback__
    while frame is not None:
        frames.append(os.path.abspath(frame.tb_frame.f_code.co_filename))
        frame = frame.tb_next
    for filename in reversed(frames):
        if filename.startswith(_STDLIB) and "site-packages" not in filename:
            continue
        return filename.startswith(_AIRFLOW_PACKAGE)
    return False


# Airflow's messages that quote the value they failed on, and what is kept of them.
ECHOING_MESSAGES = (
    (re.compile(r"(Invalid connection string)(: .*)", re.S), r"\1 (value withheld)"),
    (re.compile(r"(Port could not be cast to integer value) as .*", re.S), r"\1 (value withheld)"),
    (re.compile(r"(Expected integer value for `port`), but got .* instead\.?", re.S), r"\1 (value withheld)"),
    (re.compile(r"(Could not parse|Unable to parse)( [^:]*): .*", re.S), r"\1\2 (value withheld)"),
)
URI_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#@]*@")
YAML_MARK_LINE = re.compile(r"^\s+in \".*\", line \d+, column \d+:?\s*$")


def secret_free(message: str, known_values=(), keep_indented=False) -> str:
    """The message without any stored value: exact values withheld, echoing patterns cut, URI userinfo masked."""
    for value in sorted({v for v in known_values if isinstance(v, str) and len(v.strip()) >= 3}, key=len, reverse=True):
        message = message.replace(value, "(value withheld)")
        message = message.replace(value.strip(), "(value withheld)")
    for pattern, replacement in ECHOING_MESSAGES:
        message = pattern.sub(replacement, message)
    # PyYAML quotes the offending source line under its "in ..., line N, column M:" mark.
    if not keep_indented:
        lines = message.split("\n")
        message = "\n".join(line for line in lines if not line.startswith(" ") or YAML_MARK_LINE.match(line))
    return URI_USERINFO.sub(r"\1***@", message).strip()


def describe(error, during: str, known_values=(), credentials=()) -> dict:
    kind, detail = classify(error, during)
    described = {"kind": kind, "type": _qualified_name(type(error))}
    if detail:
        described["detail"] = detail
    if detail == "file-parse":
        described["message"] = secret_free(getattr(error, "msg", "Failed to load the secret file."), known_values)
        described["errors"] = [
            {"line": parse_error.line_no, "message": secret_free(str(parse_error.message), known_values)}
            for parse_error in getattr(error, "parse_errors", [])
        ]
        described["where"] = str(getattr(error, "file_path", ""))
    else:
        described["message"] = secret_free(str(error), [*known_values, *credentials]) or f"{during} raised {_qualified_name(type(error))}"
    # Airflow would log the exception as it is: a credential in it is the backend's leak, withheld here.
    if any(isinstance(value, str) and len(value.strip()) >= 3 and value.strip() in str(error) for value in credentials):
        described["withheld"] = "credential"
    if detail == "constructor":
        described["hint"] = "the backend's constructor raised this with the kwargs given; check what it expects"
    elif kind == "unknown" and _any(_lineage(error), ("KeyError", "LookupError")):
        described["hint"] = "a backend answers None for a secret it does not hold; an exception is a failure (Airflow logs it and asks the next backend)"
    elif kind == "unknown":
        described["hint"] = "the bridge does not classify this exception; see the bridge log for its traceback"
    if kind == "unknown":
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        sys.stderr.write(secret_free(trace, known_values, keep_indented=True) + "\n")
    return described


# ---------------------------------------------------------------------------------------------
# Backends.


def _connection_class(name: str):
    if name == "core":
        from airflow.models.connection import Connection
    elif name == "sdk":
        from airflow.sdk.definitions.connection import Connection
    else:
        raise ProtocolError(f'connection_class must be "sdk" or "core", not {name!r}')
    return Connection


CREDENTIAL_KWARG = re.compile(r"token|passw|secret|credential|access_key|private|jwt|api_key", re.I)


def credential_values(kwargs) -> list:
    """String kwargs whose names say they are credentials: withheld from every message of that backend."""
    found = []
    for name, value in (kwargs or {}).items():
        if isinstance(value, dict):
            found.extend(credential_values(value))
        elif isinstance(value, str) and CREDENTIAL_KWARG.search(str(name)):
            found.append(value)
    return found


class Backends:
    def __init__(self) -> None:
        self.instances: dict[str, object] = {}
        self.credentials: dict[str, list] = {}
        self.opened = 0

    def open(self, backend_path: str | None, kwargs, connection_class: str) -> dict:
        backend_path = backend_path or ARGUMENTS.backend
        if not backend_path:
            raise ProtocolError('open needs "backend" (a dotted class path) or a --backend default')
        if kwargs is None:
            kwargs = {}
        if not isinstance(kwargs, dict):
            raise ProtocolError('"kwargs" must be a JSON object')
        kwargs = {**DEFAULT_KWARGS, **kwargs}
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
        # (where a pod's files are) before the class sees them, and finish the instance after.
        credentials = credential_values(kwargs)
        finish = None
        for plugin in PLUGINS:
            adapt = getattr(plugin, "adapt_open", None)
            adapted = adapt(backend_path, kwargs) if adapt else None
            if adapted is not None:
                kwargs, finish = adapted
                break
        try:
            instance = cls(**kwargs)
            if finish is not None:
                finish(instance)
        except Exception as error:
            error.asc_credentials = credentials
            raise
        # As `initialize_secrets_backends()`: core sets the ORM model, the task SDK its own class.
        if hasattr(instance, "_set_connection_class"):
            instance._set_connection_class(_connection_class(connection_class))
        self.opened += 1
        handle = f"h{self.opened}"
        self.instances[handle] = instance
        self.credentials[handle] = credentials
        return {"handle": handle, "class": _qualified_name(cls)}

    def get(self, handle) -> object:
        instance = self.instances.get(handle)
        if instance is None:
            raise ConfigurationProblem(f"unknown handle {handle!r}: open a backend first")
        return instance

    def close(self, handle) -> None:
        self.get(handle)
        del self.instances[handle]
        self.credentials.pop(handle, None)


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

    return {
        "conn_id": plain(getattr(connection, "conn_id", None)),
        "conn_type": plain(getattr(connection, "conn_type", None)),
        "host": plain(getattr(connection, "host", None)),
        "login": plain(getattr(connection, "login", None)),
        "password": plain(getattr(connection, "password", None)),
        "schema": plain(getattr(connection, "schema", None)),
        "port": port_field(getattr(connection, "port", None)),
        "extra": plain(getattr(connection, "extra", None)),
        "description": plain(getattr(connection, "description", None)),
    }


class ValueWitness:
    """Remembers the raw value a backend deserialises, so an error message can withhold it."""

    def __init__(self, instance) -> None:
        self.values: list[str] = []
        self.instance = instance
        self.original = None

    def __enter__(self):
        original = getattr(self.instance, "deserialize_connection", None)
        if callable(original):
            self.original = original

            def witnessed(conn_id, value):
                self.values.append(value)
                return original(conn_id=conn_id, value=value)

            self.instance.deserialize_connection = witnessed
        return self

    def __exit__(self, *exc):
        if self.original is not None:
            del self.instance.deserialize_connection
        return False


# ---------------------------------------------------------------------------------------------
# Harness-only ops.


def apply_environment(set_entries, unset_names) -> None:
    set_entries = set_entries or {}
    unset_names = unset_names or []
    if not isinstance(set_entries, dict) or not isinstance(unset_names, list):
        raise ProtocolError('env takes "set" (an object of strings) and "unset" (a list of names)')
    for name, value in set_entries.items():
        if not isinstance(value, str):
            raise ProtocolError(f"env: the value of {name} must be a string")
        if "\0" in name or "\0" in value or "=" in name or name == "":
            raise ConfigurationProblem(f"env: {name.split(chr(0))[0]!r} cannot be an environment entry")
    for name, value in set_entries.items():
        os.environ[name] = value
    for name in unset_names:
        os.environ.pop(str(name), None)


class _WarningRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


def _parse_failure(path, error) -> str:
    """Where the file does not parse, by line number only: a quoted line may hold a secret."""
    lines = [str(line) for line, _text in getattr(error, "errors", [])]
    if getattr(error, "lineno", None):
        lines.append(str(error.lineno))
    where = f" at line {', '.join(lines)}" if lines else ""
    return f"it does not parse as an ini file{where} ({type(error).__name__})"


def _deployment_settings(parser, airflow_home) -> dict:
    """The settings the tools need besides the backend: the cache, the metastore, the workers' backend,
    and which sensitive options the file holds in plain text (by name; never their values)."""
    sql_alchemy_conn = parser.get("database", "sql_alchemy_conn", fallback=None)
    from_file = parser.has_option("database", "sql_alchemy_conn") or "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in os.environ
    if not from_file and airflow_home:
        # Airflow's default, expanded with the deployment's AIRFLOW_HOME rather than the bridge's.
        sql_alchemy_conn = f"sqlite:///{airflow_home}/airflow.db"
    plaintext = []
    for section, key in sorted(parser.sensitive_config_values):
        if configparser.ConfigParser.has_option(parser, section, key):
            value = configparser.ConfigParser.get(parser, section, key, raw=True)
            # A database URL is a secret only when it carries a password (sqlite:///... has none).
            url = re.fullmatch(r"\s*[A-Za-z][A-Za-z0-9+.-]*://(\S*)\s*", value or "")
            if value and value.strip() and (url is None or re.match(r"[^/@]*:[^/@]*@", url.group(1))):
                plaintext.append(f"{section}/{key}")
    try:
        ttl = parser.getint("secrets", "cache_ttl_seconds", fallback=900)
    except Exception:
        ttl = None
    return {
        "use_cache": parser.getboolean("secrets", "use_cache", fallback=False),
        "cache_ttl_seconds": ttl,
        "sql_alchemy_conn": sql_alchemy_conn,
        "workers_backend": parser.get("workers", "secrets_backend", fallback="") or None,
        "plaintext_sensitive": plaintext,
    }


def read_airflow_config(path, environ, airflow_home=None) -> dict:
    """`[secrets] backend` and the kwargs Airflow would pass it, read by Airflow's own parser."""
    if not isinstance(path, str) or not os.path.isfile(path):
        raise ConfigurationProblem(f"airflow.cfg not found: {path!r}")
    environ = environ or {}
    saved = {name: value for name, value in os.environ.items() if name.startswith("AIRFLOW__")}
    for name in saved:
        del os.environ[name]
    os.environ.update({name: str(value) for name, value in environ.items() if name.startswith("AIRFLOW__")})
    logger = logging.getLogger("airflow._shared.configuration.parser")
    recorder = _WarningRecorder()
    logger.addHandler(recorder)
    try:
        from airflow.configuration import AirflowConfigParser

        parser = AirflowConfigParser()
        try:
            parser.read(path)
        except configparser.Error as error:
            raise ConfigurationProblem(_parse_failure(path, error)) from None
        backend_path = parser.get("secrets", "backend", fallback="") or None
        captured: dict = {}

        class KwargsRecorder:
            def __init__(self, **kwargs) -> None:
                captured.update(kwargs)

        def recording_getimport(section, key, **_):
            value = parser.get(section, key, fallback="")
            return KwargsRecorder if value else None

        parser.getimport = recording_getimport
        built = parser._get_custom_secret_backend(worker_mode=False)
        env_overrides = sorted(
            name for name in os.environ if name.startswith("AIRFLOW__SECRETS__BACKEND_KWARG__")
        )
        return {
            "backend": backend_path if built is not None else None,
            "kwargs": captured,
            "warnings": [secret_free(message) for message in recorder.messages],
            "backend_from_environment": any(
                name in os.environ for name in ("AIRFLOW__SECRETS__BACKEND", "AIRFLOW__SECRETS__BACKEND_CMD")
            ),
            "kwargs_from_environment": any(
                name in os.environ
                for name in ("AIRFLOW__SECRETS__BACKEND_KWARGS", "AIRFLOW__SECRETS__BACKEND_KWARGS_CMD",
                             "AIRFLOW__SECRETS__BACKEND_KWARGS_SECRET")
            ),
            "per_key_overrides": [name[len("AIRFLOW__SECRETS__BACKEND_KWARG__"):].lower() for name in env_overrides],
            "settings": _deployment_settings(parser, airflow_home),
        }
    finally:
        logger.removeHandler(recorder)
        for name in [n for n in os.environ if n.startswith("AIRFLOW__")]:
            del os.environ[name]
        os.environ.update(saved)


# ---------------------------------------------------------------------------------------------
# The loop.


def _versions() -> dict:
    import importlib.metadata as metadata

    versions = {"python": sys.version.split()[0], "airflow": airflow.__version__}
    for distribution in ("apache-airflow-task-sdk",) + _from_plugins("DISTRIBUTIONS"):
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _hello() -> dict:
    store = None
    if ARGUMENTS.layout:
        store = {"layout": ARGUMENTS.layout}
        if ARGUMENTS.format:
            store["format"] = ARGUMENTS.format
        if DEFAULT_KWARGS:
            store["kwargs"] = DEFAULT_KWARGS
    return {
        "protocol": PROTOCOL_VERSION,
        "implementation": IMPLEMENTATION,
        "versions": _versions(),
        "backend": ARGUMENTS.backend,
        "deployment": ARGUMENTS.deployment,
        "store": store,
        "ops": sorted(OPS),
    }


def _field(request: dict, name: str, kind=str):
    value = request.get(name)
    if not isinstance(value, kind):
        raise ProtocolError(f'"{request.get("op")}" needs "{name}" ({kind.__name__})')
    return value


BACKENDS = Backends()


def _get_conn_value(request):
    backend = BACKENDS.get(_field(request, "handle"))
    return call_secrets_backend_method(backend.get_conn_value, team_name=None, conn_id=_field(request, "conn_id"))


def _get_connection(request):
    backend = BACKENDS.get(_field(request, "handle"))
    conn_id = _field(request, "conn_id")
    return connection_fields(call_secrets_backend_method(backend.get_connection, team_name=None, conn_id=conn_id))


def _get_variable(request):
    backend = BACKENDS.get(_field(request, "handle"))
    return call_secrets_backend_method(backend.get_variable, team_name=None, key=_field(request, "key"))


def _get_config(request):
    backend = BACKENDS.get(_field(request, "handle"))
    return backend.get_config(_field(request, "key"))


DEPLOYMENT = (
    DeploymentOps(
        BACKENDS, describe, connection_fields, PLUGINS, ProtocolError, ConfigurationProblem, _quiet_lookup_logs, _is_not_found, _airflow_backend_list
    )
    if ARGUMENTS.deployment
    else None
)

SEARCH_PATH = SearchPathOps(
    BACKENDS, describe, connection_fields, ValueWitness, _connection_class, ProtocolError, ConfigurationProblem
)

OPS = {
    "hello": lambda request: _hello(),
    "open": lambda request: BACKENDS.open(request.get("backend"), request.get("kwargs"), request.get("connection_class", "sdk")),
    "get_conn_value": _get_conn_value,
    "get_connection": _get_connection,
    "get_variable": _get_variable,
    "get_config": _get_config,
    "close": lambda request: BACKENDS.close(_field(request, "handle")),
    "env": lambda request: apply_environment(request.get("set"), request.get("unset")),
    "read_airflow_config": lambda request: read_airflow_config(request.get("path"), request.get("environ"), request.get("airflow_home")),
    "inspect_backend": lambda request: inspect_backend(request, PLUGINS, ConfigurationProblem),
    **SEARCH_PATH.ops(),
    **(DEPLOYMENT.ops() if DEPLOYMENT else {}),
}


def answer(line: bytes) -> dict:
    request_id = None
    request = None
    op = "?"
    witness = None
    try:
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ProtocolError(f"the request line is not UTF-8 JSON: {type(error).__name__}") from None
        if not isinstance(request, dict):
            raise ProtocolError("a request is a JSON object")
        request_id = request.get("id")
        op = request.get("op")
        handler = OPS.get(op)
        if handler is None:
            raise ProtocolError(f"unknown op {op!r}; known: {', '.join(sorted(OPS))}")
        if op == "get_connection" and isinstance(request.get("handle"), str) and request["handle"] in BACKENDS.instances:
            witness = ValueWitness(BACKENDS.instances[request["handle"]])
        started = time.perf_counter()
        if witness is not None:
            with witness:
                value = handler(request)
        else:
            value = handler(request)
        return {"id": request_id, "value": value, "backend_ms": round((time.perf_counter() - started) * 1000, 3)}
    except Exception as error:  # every failure is an answer; the loop keeps serving
        known = list(witness.values) if witness is not None else []
        credentials = list(getattr(error, "asc_credentials", []))
        if isinstance(request, dict) and isinstance(request.get("handle"), str):
            credentials.extend(BACKENDS.credentials.get(request["handle"], []))
        return {"id": request_id, "error": describe(error, op if isinstance(op, str) else "?", known, credentials)}


def _encode(reply: dict) -> str:
    try:
        return json.dumps(reply, allow_nan=False)
    except (TypeError, ValueError) as error:
        failure = {"kind": "unknown", "type": _qualified_name(type(error)), "message": "the answer is not JSON-serialisable"}
        return json.dumps({"id": reply.get("id"), "error": failure})


def main() -> int:
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        ANSWERS.write(_encode(answer(line)) + "\n")
        ANSWERS.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
