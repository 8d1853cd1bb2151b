"""Every exception the bridge meets becomes an error answer of bridge/PROTOCOL.md, {kind, type, message[,
detail, errors, hint]}: its kind (unavailable, timeout, forbidden...) told from its class, what it wraps
and where it was raised, and its message without any stored value or credential.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import traceback

import airflow

from family_plugins import collected, first_answer


class ProtocolError(Exception):
    """The request itself is wrong: not JSON, an unknown op, a missing field."""

    __module__ = "airflow_bridge"


class ConfigurationProblem(Exception):
    """A backend that cannot be built or used as asked (import failure, bad kwargs, unknown handle)."""

    __module__ = "airflow_bridge"


def qualified_name(cls) -> str:
    """The dotted name an answer gives a class ("type"), a builtin's bare."""
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def required_field(request: dict, name: str, kind=str):
    value = request.get(name)
    if not isinstance(value, kind):
        raise ProtocolError(f'"{request.get("op")}" needs "{name}" ({kind.__name__})')
    return value


def _lineage(error) -> list:
    return [qualified_name(cls) for cls in type(error).__mro__]


def _any(lineage, names) -> bool:
    return any(name in lineage for name in names)


TIMEOUT_TYPES = (
    "TimeoutError",
    "socket.timeout",
    "requests.exceptions.Timeout",
    "urllib3.exceptions.TimeoutError",
) + collected("TIMEOUT_TYPES")
REFUSED_TYPES = (
    "urllib3.exceptions.NewConnectionError",
    "urllib3.exceptions.NameResolutionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
) + collected("REFUSED_TYPES")
UNAVAILABLE_TYPES = (
    "ConnectionError",
    "FileNotFoundError",
    "requests.exceptions.ConnectionError",
    "urllib3.exceptions.HTTPError",
) + collected("UNAVAILABLE_TYPES")
# Raised while a stored value is turned into a Connection: the value is malformed.
DESERIALIZATION_TYPES = (
    "ValueError",
    "TypeError",
    "IndexError",
    "KeyError",
    "airflow.exceptions.AirflowException",
    "airflow.sdk.exceptions.AirflowException",
)


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
        # Set where the failure's kind is known from where it happened (the search path, the deployment ops).
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
    kind = first_answer("classify", error, lineage)
    if kind:
        return kind, None
    # urllib3's NewConnectionError (a refused connection) subclasses its ConnectTimeoutError.
    if _any(wrapped, REFUSED_TYPES):
        return "unavailable", None
    if _any(wrapped, TIMEOUT_TYPES):
        return "timeout", None
    if _any(lineage, UNAVAILABLE_TYPES):
        return "unavailable", None
    kind = first_answer("classify_fallback", error, lineage)
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
    described = {"kind": kind, "type": qualified_name(type(error))}
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
        described["message"] = secret_free(str(error), [*known_values, *credentials]) or f"{during} raised {qualified_name(type(error))}"
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
