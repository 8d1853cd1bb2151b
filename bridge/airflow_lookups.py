"""Airflow's own lookup functions, the ones its components call to find a connection or a variable
through the whole secrets search path, and what they raise for "nothing anywhere": the search path
ops and the deployment ops both run these rather than a loop of their own.
"""

from __future__ import annotations

# The backend method behind each kind of lookup; also the op name a failure is described under.
LOOKUP_METHOD = {"connection": "get_connection", "variable": "get_variable", "config": "get_config"}


def airflow_lookup(mode: str, what: str, subject: str):
    """`Connection.get_connection_from_secrets` / `Variable.get_variable_from_secrets` (airflow/models,
    the server side, `core`) or `_get_connection` / `_get_variable` (airflow/sdk/execution_time/context.py,
    the task side, `sdk`)."""
    if mode == "core":
        if what == "connection":
            from airflow.models.connection import Connection

            return Connection.get_connection_from_secrets(subject)
        from airflow.models.variable import Variable

        return Variable.get_variable_from_secrets(subject)
    from airflow.sdk.execution_time import context

    if what == "connection":
        return context._get_connection(subject)
    return context._get_variable(subject, deserialize_json=False)


def is_not_found(error) -> bool:
    """Airflow's "nothing anywhere": AirflowNotFoundException for connections, and the task SDK's
    VARIABLE_NOT_FOUND runtime error for variables."""
    from airflow.sdk.exceptions import AirflowNotFoundException as SdkNotFound
    from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType

    try:
        from airflow.exceptions import AirflowNotFoundException as CoreNotFound
    except ImportError:
        CoreNotFound = SdkNotFound
    if isinstance(error, (SdkNotFound, CoreNotFound)):
        return True
    return isinstance(error, AirflowRuntimeError) and getattr(getattr(error, "error", None), "error", None) == ErrorType.VARIABLE_NOT_FOUND
