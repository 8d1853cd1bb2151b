"""Airflow's own connection parsers, driven over stdin/stdout for the differential test.

One JSON request per input line, or a JSON array of them (a batch):
    {"id": ..., "op": "parse" | "uri", "input": "...",
     "format": "uri" | "json" | "value", "parser": "sdk" | "core"}
One JSON line back per input line, in order (an array of replies for a batch):
    {"id": ..., "view": {conn_type, host, login, password, schema, port, extra}, "extra_text": ...,
     "uri": "..." | null, "uri_error": {"type", "message"} | null}
or  {"id": ..., "error": {"type": "<Python exception class>", "message": "..."}}
`view.extra` is `extra_dejson` written as JSON text (null without extra): a document nested
near Python's recursion limit cannot be nested two levels deeper inside a reply.

"uri" format is `from_uri` (SDK) / `Connection(uri=...)` (core ORM); "json" is `from_json`;
"value" is `BaseSecretsBackend` dispatch (strip, `{` means JSON), the path every backend takes.
"parse" and "uri" differ only in what the caller reads: both report the view and `get_uri()`.

Airflow's own code runs under the interpreter's default recursion limit, so a RecursionError is
reported as Airflow raises it; only the oracle's own encoding of a reply gets a higher limit.

Run it with the Airflow venv's python. It isolates itself (temporary AIRFLOW_HOME, SQLite in
there) before importing Airflow, so no real configuration or database is read or written.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings

# The bridge's: Airflow's structlog writes warnings to stdout, which must carry only replies.
from bridge_logs import claim_stdout

PROTOCOL_OUT = claim_stdout()


def _isolate_airflow() -> None:
    home = tempfile.mkdtemp(prefix="asc-airflow-home-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{os.path.abspath(home)}/airflow.db"
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    # An empty key keeps the core model's password/extra setters on the no-encryption path, which
    # stores the text as given: the same bytes the secrets backends hand over.
    os.environ["AIRFLOW__CORE__FERNET_KEY"] = ""
    os.environ.pop("AIRFLOW_CONFIG", None)
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


_isolate_airflow()

from airflow.models.connection import Connection as CoreConnection  # noqa: E402
from airflow.sdk.definitions.connection import Connection as SdkConnection  # noqa: E402

from airflow._shared.secrets_masker import reset_secrets_masker  # noqa: E402

try:  # 3.2+: the dispatch every backend runs (strip, then JSON or URI)
    from airflow._shared.secrets_backend.base import BaseSecretsBackend as _DispatchBase  # noqa: E402
except ImportError:  # pragma: no cover - older layouts
    from airflow.secrets.base_secrets import BaseSecretsBackend as _DispatchBase  # noqa: E402

logging.disable(logging.CRITICAL)

CONN_ID = "conformance_conn"


def _describe(error: BaseException) -> dict:
    return {"type": type(error).__name__, "message": str(error)}


def _parse(connection_class, fmt: str, text: str):
    if fmt == "json":
        return connection_class.from_json(text, conn_id=CONN_ID)
    if fmt == "value":
        return _DispatchBase._deserialize_connection_value(connection_class, CONN_ID, text)
    if connection_class is SdkConnection:
        return SdkConnection.from_uri(text, conn_id=CONN_ID)
    return CoreConnection(conn_id=CONN_ID, uri=text)


# Deep enough for any value json.loads returned under the default limit, plus the reply around it.
ORACLE_RECURSION_LIMIT = 5000


def _dumps_unbounded(value) -> str:
    """json.dumps for the oracle's own replies, which must not fail where Airflow did not."""
    default_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(ORACLE_RECURSION_LIMIT)
    try:
        return json.dumps(value)
    finally:
        sys.setrecursionlimit(default_limit)


def _view(conn) -> dict:
    extra_text = conn.extra
    # extra_dejson is Airflow's code: it runs under the default limit, like the parse.
    extra = conn.extra_dejson if extra_text else None
    return {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "login": conn.login,
        "password": conn.password,
        "schema": conn.schema,
        "port": conn.port,
        "extra": None if extra is None else _dumps_unbounded(extra),
    }


def answer(request: dict) -> dict:
    try:
        return _answer(request)
    finally:
        # The core constructor adds each password to the process-wide log masker, which recompiles
        # one regex of every secret so far: each request starts afresh, as a new process would.
        reset_secrets_masker()


def _answer(request: dict) -> dict:
    reply: dict = {"id": request.get("id")}
    connection_class = CoreConnection if request.get("parser") == "core" else SdkConnection
    try:
        conn = _parse(connection_class, request.get("format", "uri"), request["input"])
        reply["view"] = _view(conn)
        reply["extra_text"] = conn.extra
    except Exception as error:  # every failure is data for the comparison
        reply["error"] = _describe(error)
        return reply
    try:
        reply["uri"] = conn.get_uri()
        reply["uri_error"] = None
    except Exception as error:
        reply["uri"] = None
        reply["uri_error"] = _describe(error)
    return reply


def _encode(reply: dict) -> str:
    try:
        return _dumps_unbounded(reply)
    except (TypeError, ValueError, RecursionError) as error:  # a value json cannot write: report it, keep going
        return json.dumps({"id": reply.get("id"), "error": {"type": "OracleEncodingError", "message": str(error)}})


def main() -> int:
    out = PROTOCOL_OUT
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as error:
            out.write(json.dumps({"id": None, "error": {"type": "OracleProtocolError", "message": str(error)}}) + "\n")
            continue
        if isinstance(request, list):
            out.write("[" + ", ".join(_encode(answer(item)) for item in request) + "]\n")
        else:
            out.write(_encode(answer(request)) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
