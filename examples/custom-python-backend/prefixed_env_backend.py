"""An example custom Airflow secrets backend: connections and variables in environment variables
under configurable prefixes (Airflow's own backend hard-codes AIRFLOW_CONN_ / AIRFLOW_VAR_).

In airflow.cfg:
    [secrets]
    backend = prefixed_env_backend.PrefixedEnvironmentBackend
    backend_kwargs = {"connections_prefix": "AIRFLOW_CONN_", "variables_prefix": "AIRFLOW_VAR_"}

Certify it through the Airflow bridge, which builds it exactly as Airflow does:
    npm test -- --backend-command='.cache/airflow-venv/bin/python bridge/airflow_bridge.py
        --sys-path examples/custom-python-backend --backend prefixed_env_backend.PrefixedEnvironmentBackend
        --kwarg connections_prefix=AIRFLOW_CONN_ --kwarg variables_prefix=AIRFLOW_VAR_ --layout env'
"""

from __future__ import annotations

import os

from airflow.secrets import BaseSecretsBackend


class PrefixedEnvironmentBackend(BaseSecretsBackend):
    """
    Reads ``<connections_prefix><CONN_ID>`` and ``<variables_prefix><KEY>`` from the environment.

    :param connections_prefix: prefix of connection entries; ``None`` disables connection lookups.
    :param variables_prefix: prefix of variable entries; ``None`` disables variable lookups.
    """

    def __init__(self, connections_prefix: str | None = "AIRFLOW_CONN_", variables_prefix: str | None = "AIRFLOW_VAR_"):
        super().__init__()
        self.connections_prefix = connections_prefix
        self.variables_prefix = variables_prefix

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        if self.connections_prefix is None:
            return None
        # str.upper() is Unicode-aware ("ß" -> "SS"), as Airflow's own environment backend.
        return os.environ.get(self.connections_prefix + conn_id.upper())

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        if self.variables_prefix is None:
            return None
        return os.environ.get(self.variables_prefix + key.upper())
