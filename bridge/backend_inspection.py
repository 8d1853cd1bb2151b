"""The `inspect_backend` op, for doctor: whether a backend class imports, whether it is a secrets backend,
and which kwargs its constructor takes (its own, and those its family says it passes through to a
client). Only the class is read, so it needs no deployment and runs in the ordinary bridge too.
"""

from __future__ import annotations

import inspect

from airflow._shared.module_loading import import_string

from bridge_errors import ConfigurationProblem, qualified_name
from family_plugins import declares, first_answer


def _constructor_parameters(cls) -> tuple[list, bool]:
    """The constructor's named parameters, and whether it takes **kwargs besides."""
    parameters = []
    var_keyword = False
    try:
        signature = inspect.signature(cls.__init__)
        for name, parameter in signature.parameters.items():
            if name == "self":
                continue
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                var_keyword = True
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                parameters.append(name)
    except (TypeError, ValueError):
        pass
    return parameters, var_keyword


def inspect_backend(request) -> dict:
    path = request.get("backend")
    if not isinstance(path, str) or not path:
        raise ConfigurationProblem('inspect_backend needs "backend" (a dotted class path)')
    try:
        cls = import_string(path)
    except Exception as error:  # ImportError, or a module that fails while importing
        return {"imports": False, "import_error": f"{type(error).__name__}: {error}"}
    from airflow.secrets import BaseSecretsBackend

    parameters, var_keyword = _constructor_parameters(cls)
    found = first_answer("passthrough_parameters", cls, accepts=lambda plugin: declares(plugin, cls))
    passthrough = None
    if found is not None:
        target, names = found
        passthrough = {"target": target, "parameters": sorted(names)}
    return {
        "imports": True,
        "class": qualified_name(cls),
        "is_secrets_backend": isinstance(cls, type) and issubclass(cls, BaseSecretsBackend),
        "parameters": parameters,
        "var_keyword": var_keyword,
        "passthrough": passthrough,
    }
