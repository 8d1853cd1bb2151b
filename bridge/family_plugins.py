"""The families' part of the bridge: every backends/<family>/bridge_plugin.py, loaded once. Each says how
its provider's exceptions map to the harness's error kinds, which distributions its behaviour depends on,
and, for the tools, how to list a store or check a deployment's backend; the bridge asks them through
the hooks here and never names a family.
"""

from __future__ import annotations

import importlib.util
import os


def _load_family_plugins() -> list:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "backends")
    plugins = []
    for family in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, family, "bridge_plugin.py")
        if not os.path.isfile(path):
            continue
        spec = importlib.util.spec_from_file_location(f"asc_bridge_plugin_{family}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        plugins.append(module)
    return plugins


PLUGINS = _load_family_plugins()


def collected(name: str) -> tuple:
    """A tuple every family may add to (TIMEOUT_TYPES, DISTRIBUTIONS...), all families' entries in order."""
    return tuple(entry for plugin in PLUGINS for entry in getattr(plugin, name, ()))


def hooks(name: str, accepts=None):
    """The families' functions called `name`, in order; with `accepts`, only those of plugins it accepts."""
    for plugin in PLUGINS:
        function = getattr(plugin, name, None)
        if function is not None and (accepts is None or accepts(plugin)):
            yield function


def first_answer(name: str, *args, accepts=None):
    """The first answer other than None of the families' `name` hooks, asked in order."""
    for hook in hooks(name, accepts):
        found = hook(*args)
        if found is not None:
            return found
    return None


def _declared_classes(plugin) -> list:
    """The classes the family declares (BACKEND_CLASSES) that import here."""
    from airflow._shared.module_loading import import_string

    classes = []
    for name in getattr(plugin, "BACKEND_CLASSES", ()):
        try:
            classes.append(import_string(name))
        except ImportError:
            continue
    return classes


def owns(plugin, backend) -> bool:
    """Whether `backend` is an instance of one of the classes the family declares (BACKEND_CLASSES), subclasses included."""
    return any(isinstance(backend, cls) for cls in _declared_classes(plugin))


def declares(plugin, cls, layout=None) -> bool:
    """Whether the family handles the class: it subclasses one the family declares (BACKEND_CLASSES), or it
    was started declaring one of the family's store layouts (LAYOUTS). Never by the exact class path: a
    subclass of a provider class, or a class of one's own on the layout, gets the family's handling."""
    if layout is not None and layout in getattr(plugin, "LAYOUTS", ()):
        return True
    return isinstance(cls, type) and any(issubclass(cls, declared) for declared in _declared_classes(plugin))


def owner_hook(name: str, backend):
    """The `name` hook of the first family that owns the backend's class and defines it; None when none does."""
    return next(hooks(name, lambda plugin: owns(plugin, backend)), None)
