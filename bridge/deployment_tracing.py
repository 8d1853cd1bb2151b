"""What the deployment ops measure while Airflow looks something up: per backend of the chain, whether
it was asked, what it answered or raised, how long it took and how many HTTP requests it sent; and
the found value as the tools may show it, masked the way Airflow masks it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import time

from airflow_lookups import LOOKUP_METHOD
from bridge_errors import qualified_name
from scoped_patches import MethodWatch, patched


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


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

        with patched(pools.HTTPConnectionPool, "_make_request", counted):
            yield self


def measured(step: dict, counter: RequestCounter, call):
    """`call()`, with the time it took and the HTTP requests it sent noted on `step`, answer or failure."""
    before = counter.count
    started = time.perf_counter()
    try:
        return call()
    finally:
        step["ms"] = elapsed_ms(started)
        step["requests"] = counter.count - before


class Tracer(MethodWatch):
    """Watches each backend of the chain during one lookup: asked or not, its answer or its failure,
    its time and the HTTP requests it sent. Airflow logs and skips a failing backend; this keeps it."""

    def __init__(self, backends, what: str, counter: RequestCounter) -> None:
        super().__init__(backends, (LOOKUP_METHOD[what],))
        self.what = what
        self.counter = counter
        self.steps = [{"index": i, "class": qualified_name(type(b)), "asked": False} for i, b in enumerate(backends)]
        self.errors: list[tuple[int, BaseException]] = []

    def _watch(self, index: int, name: str, method):
        @functools.wraps(method)
        def watched(*args, **kwargs):
            step = self.steps[index]
            step["asked"] = True
            try:
                found = measured(step, self.counter, lambda: method(*args, **kwargs))
            except BaseException as error:
                step["outcome"] = "error"
                self.errors.append((index, error))
                raise
            # The loops' own tests: a truthy connection, a variable that is not None.
            hit = bool(found) if self.what == "connection" else found is not None
            step["outcome"] = "found" if hit else "not-found"
            if self.what == "variable" and found == "":
                step["empty"] = True
            return found

        return watched


def masked_connection(connection) -> dict | None:
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


def masked_text(value) -> dict | None:
    if value is None:
        return None
    text = str(value)
    return {"length": len(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]}
