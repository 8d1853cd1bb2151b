"""The env family's part of bridge/airflow_bridge.py: the tools' hook that lists what the environment holds
(bridge/airflow_deployment.py, for a near miss). Airflow's EnvironmentVariablesBackend reads the process
environment, which in deployment mode is the deployment's."""

import os

BACKEND_CLASSES = ("airflow.secrets.environment_variables.EnvironmentVariablesBackend",)
PREFIXES = {"connections": "AIRFLOW_CONN_", "variables": "AIRFLOW_VAR_"}


def list_names(backend, kind):
    prefix = PREFIXES.get(kind)
    return [name for name in os.environ if prefix and name.startswith(prefix)]
