"""Airflow secrets backends served over the JSON-lines protocol of bridge/PROTOCOL.md.

Run it with the pinned Airflow venv (.cache/airflow-venv/bin/python). Backends are built the way
Airflow builds `[secrets] backend` (bridge_backends.py); one process serves many backend instances
(`open` hands out handles). This file is the protocol loop: a request a line on stdin, its op run,
its answer a line on stdout, every failure an error answer (bridge_errors.py).

stdout carries protocol answers only: Airflow's log output (structlog writes to stdout) is moved
to stderr, which the harness captures to a log file (bridge_logs.py), with every Python warning raised
while serving. End of input closes the backends still open, as `close` does.

    python bridge/airflow_bridge.py [--sys-path DIR]... [--backend DOTTED.PATH] [--kwargs JSON]
                                    [--kwarg NAME=VALUE]... [--layout NAME]
                                    [--format NAME] [--deployment]

`--backend`/`--kwargs`/`--kwarg` are the defaults of `open`; `--layout`/`--format` declare, in `hello`, which
fixture store layout the backend reads (for `--backend-command` certification of your own class).
`--deployment` serves a real deployment (airflow_deployment.py): the environment the bridge is started with
(AIRFLOW_CONFIG, AIRFLOW__*, AIRFLOW_CONN_* / AIRFLOW_VAR_*) is the deployment's and is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

# Python puts this script's folder first on sys.path: the bridge's other modules import from there.
from bridge_logs import claim_stdout, log_warnings, set_log_level
from bridge_startup import deployment_import, isolate_airflow, parse_arguments

PROTOCOL_VERSION = 1
IMPLEMENTATION = "airflow-bridge"

ANSWERS = claim_stdout()
ARGUMENTS, DEFAULT_KWARGS = parse_arguments(sys.argv[1:], "airflow_bridge.py", __doc__.splitlines()[0])

if not ARGUMENTS.deployment:
    isolate_airflow()
for folder in reversed(ARGUMENTS.sys_path):
    sys.path.insert(0, os.path.abspath(folder))

# Airflow reads its settings when imported: only now, with the environment settled.
with deployment_import() if ARGUMENTS.deployment else contextlib.nullcontext():
    import airflow  # noqa: E402
    import airflow.configuration  # noqa: E402,F401
from airflow_config_file import read_airflow_config  # noqa: E402
from airflow_deployment import DeploymentOps  # noqa: E402
from airflow_search_path import SearchPathOps  # noqa: E402
from backend_inspection import inspect_backend  # noqa: E402
from bridge_backends import Backends, ValueWitness, ask_backend, connection_fields  # noqa: E402
from bridge_errors import ConfigurationProblem, ProtocolError, describe, qualified_name, required_field  # noqa: E402
from family_plugins import collected  # noqa: E402

set_log_level()
log_warnings()


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


def _versions() -> dict:
    import importlib.metadata as metadata

    versions = {"python": sys.version.split()[0], "airflow": airflow.__version__}
    for distribution in ("apache-airflow-task-sdk",) + collected("DISTRIBUTIONS"):
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


BACKENDS = Backends(ARGUMENTS.backend, DEFAULT_KWARGS, ARGUMENTS.layout)


def _backend_lookup(method: str, subject_field: str, shown=lambda value: value):
    """The op that asks the opened backend `handle` its `method` for the request's `subject_field`."""

    def lookup(request):
        backend = BACKENDS.get(required_field(request, "handle"))
        return shown(ask_backend(backend, method, required_field(request, subject_field)))

    return lookup


OPS = {
    "hello": lambda request: _hello(),
    "open": lambda request: BACKENDS.open(request.get("backend"), request.get("kwargs"), request.get("connection_class", "sdk")),
    "get_conn_value": _backend_lookup("get_conn_value", "conn_id"),
    "get_connection": _backend_lookup("get_connection", "conn_id", connection_fields),
    "get_variable": _backend_lookup("get_variable", "key"),
    "get_config": _backend_lookup("get_config", "key"),
    "close": lambda request: BACKENDS.close(required_field(request, "handle")),
    "env": lambda request: apply_environment(request.get("set"), request.get("unset")),
    "read_airflow_config": lambda request: read_airflow_config(request.get("path"), request.get("environ"), request.get("airflow_home")),
    "inspect_backend": inspect_backend,
    **SearchPathOps(BACKENDS).ops(),
    **(DeploymentOps(BACKENDS).ops() if ARGUMENTS.deployment else {}),
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
        with witness if witness is not None else contextlib.nullcontext():
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
        failure = {"kind": "unknown", "type": qualified_name(type(error)), "message": "the answer is not JSON-serialisable"}
        return json.dumps({"id": reply.get("id"), "error": failure})


def close_at_end() -> int:
    """End of input is the harness closing every backend at once: each one's `close()` runs as the `close`
    op would run it. No answer is read any more, so what one raises goes to the log, described as an error
    answer would be, and the exit status says so."""
    failures = BACKENDS.close_all()
    for handle, error in failures:
        described = describe(error, "close", [], getattr(error, "asc_credentials", []))
        sys.stderr.write(f"airflow_bridge: closing {handle} at the end of input failed: {described['type']}: {described['message']}\n")
    return 1 if failures else 0


def main() -> int:
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        ANSWERS.write(_encode(answer(line)) + "\n")
        ANSWERS.flush()
    return close_at_end()


if __name__ == "__main__":
    sys.exit(main())
