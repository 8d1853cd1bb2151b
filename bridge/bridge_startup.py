"""What the bridge settles before Airflow is imported, since Airflow reads its settings at import: the
command line, and the environment it will see (a throw-away home for the harness, or, with
`--deployment`, the deployment's own, kept).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import warnings

from scoped_patches import environment

# Environment entries the harness owns: it mirrors them in with the `env` op, so nothing the bridge
# inherits at spawn may answer a lookup.
MIRRORED_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW_VAR_")


def parse_arguments(argv, prog: str, description: str):
    """The arguments, and the default kwargs of `open` they make; a bad --kwargs/--kwarg ends the process."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--sys-path", action="append", default=[], help="a folder to put on sys.path (repeatable)")
    parser.add_argument("--backend", default=None, help="default backend class for `open`")
    parser.add_argument("--kwargs", default=None, help="default backend kwargs for `open`, a JSON object")
    parser.add_argument("--kwarg", action="append", default=[], metavar="NAME=VALUE",
                        help="one default kwarg, a raw string like AIRFLOW__SECRETS__BACKEND_KWARG__<NAME> (repeatable)")
    # Checked by the harness against the layouts its families register.
    parser.add_argument("--layout", default=None)
    parser.add_argument("--format", default=None)
    parser.add_argument("--deployment", action="store_true", help="keep the environment: it is a real deployment's")
    arguments = parser.parse_args(argv)
    try:
        default_kwargs = json.loads(arguments.kwargs) if arguments.kwargs else {}
    except ValueError:
        default_kwargs = None
    if not isinstance(default_kwargs, dict):
        sys.stderr.write(f"{prog}: --kwargs must be a JSON object\n")
        sys.exit(2)
    for assignment in arguments.kwarg:
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            sys.stderr.write(f"{prog}: --kwarg takes NAME=VALUE, not {name!r}\n")
            sys.exit(2)
        default_kwargs[name] = value
    return arguments, default_kwargs


def isolate_airflow() -> None:
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
def deployment_import():
    """Airflow builds its secrets backend list when airflow.configuration is imported; a class that does
    not import or kwargs it refuses would end the process there. The custom backend is hidden for the
    import, and built by the first deployment op, where its failure is an answer."""
    warnings.simplefilter("ignore")
    with environment({"AIRFLOW__SECRETS__BACKEND": ""}):
        yield
