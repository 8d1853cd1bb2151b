"""What a search path op's chain is made of, built from the request's backend specs: backends opened
with `open` (by handle), Airflow's own EnvironmentVariablesBackend over given entries, and three
stand-ins of the harness's TypeScript doubles (suites/doubles.ts, model/metastore.ts): a metastore
held in memory, a backend that always fails, and a counter around another entry.
"""

from __future__ import annotations

from airflow.secrets import BaseSecretsBackend
from airflow.secrets.environment_variables import EnvironmentVariablesBackend
from airflow.secrets.metastore import MetastoreBackend

from bridge_backends import ask_backend
from bridge_errors import ProtocolError

SPEC_KINDS = "handle, environment, metastore, failing, counting"


class InMemoryMetastore(MetastoreBackend):
    """The metastore's rows, held in memory (model/metastore.ts). A MetastoreBackend, so Airflow's own
    isinstance checks (`Variable.check_for_write_conflict`) treat it as the metastore."""

    def __init__(self, connections: dict, variables: dict) -> None:
        super().__init__()
        self.connections = connections
        self.variables = variables

    def get_connection(self, conn_id: str, team_name: str | None = None):
        fields = self.connections.get(conn_id)
        if fields is None:
            return None
        # A row is fields, never a URI: the core model, as the metastore's `select(Connection)` gives.
        from airflow.models.connection import Connection

        if isinstance(fields.get("port"), str):
            fields = {**fields, "port": int(fields["port"])}
        return Connection(conn_id=conn_id, **fields)

    def get_variable(self, key: str, team_name: str | None = None):
        return self.variables.get(key)


class FailingDouble(BaseSecretsBackend):
    """Fails every lookup the way an unreachable server does (suites/doubles.ts FailingBackend)."""

    def __init__(self) -> None:
        self.counts = {"connections": 0, "variables": 0, "config": 0}

    def _fail(self, what: str, kind: str):
        self.counts[kind] += 1
        raise ConnectionError(f"cannot look up {what}: the test double always fails")

    def get_conn_value(self, conn_id: str, team_name: str | None = None):
        self._fail(f'connection "{conn_id}"', "connections")

    def get_connection(self, conn_id: str, team_name: str | None = None):
        self._fail(f'connection "{conn_id}"', "connections")

    def get_variable(self, key: str, team_name: str | None = None):
        self._fail(f'variable "{key}"', "variables")

    def get_config(self, key: str):
        self._fail(f'config "{key}"', "config")


class CountingDouble(BaseSecretsBackend):
    """Counts the calls that reach the entry behind it (suites/doubles.ts CountingBackend)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.counts = {"connections": 0, "variables": 0, "config": 0}

    def _ask(self, kind: str, method: str, subject: str, team_name=None):
        self.counts[kind] += 1
        return ask_backend(self.inner, method, subject, team_name)

    def get_conn_value(self, conn_id: str, team_name: str | None = None):
        return self._ask("connections", "get_conn_value", conn_id, team_name)

    def get_connection(self, conn_id: str, team_name: str | None = None):
        return self._ask("connections", "get_connection", conn_id, team_name)

    def get_variable(self, key: str, team_name: str | None = None):
        return self._ask("variables", "get_variable", key, team_name)

    def get_config(self, key: str):
        return self._ask("config", "get_config", key)

    def _set_connection_class(self, conn_class: type) -> None:
        super()._set_connection_class(conn_class)
        self.inner._set_connection_class(conn_class)


class Chain:
    """The backends of one call, built from the request's specs; handles are the bridge's open backends."""

    def __init__(self, specs, handles) -> None:
        if not isinstance(specs, list):
            raise ProtocolError('"backends" must be a list of backend specs')
        self.handles = handles
        self.counted: dict[str, object] = {}
        self.instances: list = []
        self.environment: dict[str, str] = {}
        self.known_values: list[str] = []
        self.backends = [self._build(spec) for spec in specs]
        self.kinds = [spec.get("kind") for spec in specs]

    def _build(self, spec):
        if not isinstance(spec, dict):
            raise ProtocolError("a backend spec is a JSON object")
        kind = spec.get("kind")
        if kind == "handle":
            instance = self.handles.get(spec.get("handle"))
            self.known_values.extend(self.handles.credentials.get(spec.get("handle"), []))
        elif kind == "environment":
            entries = spec.get("entries") or {}
            if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
                raise ProtocolError('an environment spec has "entries": an object of strings')
            self.environment.update(entries)
            self.known_values.extend(entries.values())
            instance = EnvironmentVariablesBackend()
        elif kind == "metastore":
            instance = self._metastore(spec)
        elif kind == "failing":
            instance = self._counted(spec, FailingDouble())
        elif kind == "counting":
            instance = self._counted(spec, CountingDouble(self._build(spec.get("inner"))))
        else:
            raise ProtocolError(f"unknown backend spec kind {kind!r}; known: {SPEC_KINDS}")
        self.instances.append(instance)
        return instance

    def _metastore(self, spec) -> InMemoryMetastore:
        connections = spec.get("connections") or {}
        variables = spec.get("variables") or {}
        if not isinstance(connections, dict) or not isinstance(variables, dict):
            raise ProtocolError('a metastore spec has "connections" and "variables" objects')
        if not all(isinstance(fields, dict) for fields in connections.values()):
            raise ProtocolError("a metastore connection is an object of fields")
        for fields in connections.values():
            self.known_values.extend(str(fields.get(name)) for name in ("password", "extra") if fields.get(name))
        self.known_values.extend(value for value in variables.values() if isinstance(value, str))
        return InMemoryMetastore(connections, variables)

    def _counted(self, spec, instance):
        ref = spec.get("ref")
        if not isinstance(ref, str):
            raise ProtocolError(f'a {spec.get("kind")} spec needs "ref" (a string naming it in "calls")')
        self.counted[ref] = instance
        return instance

    def calls(self) -> dict:
        return {ref: dict(instance.counts) for ref, instance in self.counted.items()}

    def is_default(self, index: int) -> bool:
        """Whether entry `index` is one of Airflow's own default backends, never a `[secrets] backend`."""
        return self.kinds[index] in ("metastore", "environment")
