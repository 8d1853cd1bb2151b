"""Changes to this process that last one `with` block: an attribute swapped, environment entries set,
a backend's methods wrapped. Every op leaves Airflow's process state as it found it, so calls do not
see each other's; the bridge's modules all undo their changes through these.
"""

from __future__ import annotations

import contextlib
import os

_MISSING = object()


@contextlib.contextmanager
def patched(owner, name: str, value):
    """`owner.name` is `value` for the block; afterwards what `owner` itself held, or nothing of its own
    (a class's method shows through again)."""
    previous = vars(owner).get(name, _MISSING)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if previous is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, previous)


def _assign(entries: dict) -> None:
    for name, value in entries.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def environment(entries: dict):
    """`entries` set (or, for None, unset) in this process's environment for the block."""
    saved = {name: os.environ.get(name) for name in entries}
    _assign(entries)
    try:
        yield
    finally:
        _assign(saved)


class MethodWatch:
    """Wraps the named methods of each backend for a `with` block, as instance attributes over the class's
    own; a subclass's `_watch(index, name, method)` returns the wrapper and says what it records."""

    def __init__(self, backends, methods) -> None:
        self.backends = backends
        self.methods = tuple(methods)
        self._undo = contextlib.ExitStack()

    def __enter__(self):
        with contextlib.ExitStack() as stack:
            for index, backend in enumerate(self.backends):
                for name in self.methods:
                    stack.enter_context(patched(backend, name, self._watch(index, name, getattr(backend, name))))
            self._undo = stack.pop_all()
        return self

    def __exit__(self, *exc):
        self._undo.close()
        return False

    def _watch(self, index: int, name: str, method):
        raise NotImplementedError
