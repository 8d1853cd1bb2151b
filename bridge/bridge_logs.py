"""Where output goes while the bridge serves: stdout carries protocol answers only, so whatever else is
written there (structlog writes Airflow's log to stdout) is moved to stderr, the harness's log file, with
Python's warnings; and the log records the bridge keeps or silences instead of letting them through.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import warnings

from scoped_patches import patched

# The modules whose lookup loops log a skipped backend; their failures are in the answer instead.
LOGGING_MODULES = ("airflow.models.connection", "airflow.models.variable", "airflow.sdk.execution_time.context")
# Python's own, before Airflow's logging replaces it.
_PYTHON_SHOWWARNING = warnings.showwarning


def claim_stdout():
    """Keep fd 1 for answers; everything else written to stdout, by name or by fd, lands on stderr."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answers


def set_log_level() -> None:
    """The level a deployment runs at (INFO), so whatever a backend logs there reaches the bridge's log, which
    the run's canary scan reads; a backend class of the user's own logs at DEBUG (see Backends.open)."""
    logging.getLogger().setLevel(os.environ.get("ASC_BRIDGE_LOG_LEVEL", "INFO"))


def log_warnings() -> None:
    """Python warnings reach the bridge's log as a deployment's reach Airflow's: Airflow's logging hands them
    to the `py.warnings` logger (logging.captureWarnings where it did not), so a warning that quotes a value
    is in the log the run's canary scan reads. Every category is shown, once per place it is raised: the
    "ignore" the bridge set for Airflow's noisy import would otherwise hide a backend's warnings, and a
    deployment may show what Python's defaults hide (-W, PYTHONWARNINGS)."""
    if warnings.showwarning is _PYTHON_SHOWWARNING:
        logging.captureWarnings(True)
    warnings.simplefilter("default")


class _WarningRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def recorded_warnings(logger_name: str):
    """The messages of the warnings `logger_name` logs during the block, for the answer to carry."""
    logger = logging.getLogger(logger_name)
    recorder = _WarningRecorder()
    logger.addHandler(recorder)
    try:
        yield recorder.messages
    finally:
        logger.removeHandler(recorder)


class _QuietLog:
    """Takes every log call and writes nothing."""

    def __getattr__(self, _name):
        return lambda *_args, **_kwargs: None


@contextlib.contextmanager
def quiet_lookup_logs():
    """Airflow logs a skipped backend with `log.exception`, which the bridge's console logging renders as
    a traceback with every frame's locals: backend credentials and values included, and seconds of
    rendering for a deep client stack. For the call those modules log nowhere; the answer carries the
    failures, described without secrets."""
    with contextlib.ExitStack() as stack:
        for name in LOGGING_MODULES:
            stack.enter_context(patched(importlib.import_module(name), "log", _QuietLog()))
        yield
