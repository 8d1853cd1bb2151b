"""A deployment's metastore, read and never written: its counts, its rows for an export, the names it
holds; a SQLite file that is not there stays not there, and a database failure is told apart
(missing tables, unreachable server, refused password).
"""

from __future__ import annotations

import contextlib
import os

from bridge_backends import connection_fields
from scoped_patches import patched


@contextlib.contextmanager
def no_masking_on_load():
    """Airflow's `Connection.on_db_load` registers every loaded password and extra with the secrets masker,
    which recompiles its pattern of all values each time: loading n rows costs O(n^2) (500 rows: about a
    minute). The export prints nothing, so for its duration the registration is skipped."""
    import airflow.models.connection as connection_module

    with patched(connection_module, "mask_secret", lambda *_args, **_kwargs: None):
        yield


def refuse_missing_sqlite() -> None:
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


def metastore_names(kind: str) -> list:
    from sqlalchemy import select

    from airflow.models.connection import Connection
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    if kind == "config":
        return []
    column = Connection.conn_id if kind == "connection" else Variable.key
    with create_session() as session:
        return [row for row in session.scalars(select(column))]


def read_metastore(what: str) -> dict:
    """The "summary" (row counts and dialect) or the "export" (every connection's fields, every variable)."""
    from sqlalchemy import func, select

    from airflow.models.connection import Connection
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    refuse_missing_sqlite()
    try:
        with no_masking_on_load(), create_session() as session:
            if what == "summary":
                return {
                    "connections": session.scalar(select(func.count()).select_from(Connection)),
                    "variables": session.scalar(select(func.count()).select_from(Variable)),
                    "dialect": session.get_bind().dialect.name,
                }
            # The fields as the ORM gives them (password and extra decrypted); not as_json(), which
            # registers every value with the secrets masker and grows slower with each row.
            connections = [connection_fields(connection) for connection in session.scalars(select(Connection).order_by(Connection.conn_id))]
            variables = [
                {"key": variable.key, "value": variable.val, "description": variable.description}
                for variable in session.scalars(select(Variable).order_by(Variable.key))
            ]
            return {"connections": connections, "variables": variables}
    except Exception as error:
        error.asc_kind = _database_kind(error)
        raise
