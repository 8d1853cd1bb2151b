"""A deployment's airflow.cfg as its own Airflow reads it (the `read_airflow_config` op): `[secrets]
backend` and the kwargs Airflow would pass it, and the settings the tools need besides, read by
Airflow's own parser under the deployment's AIRFLOW__* entries rather than the bridge's.
"""

from __future__ import annotations

import configparser
import os
import re

from bridge_errors import ConfigurationProblem, secret_free
from bridge_logs import recorded_warnings

KWARG_OVERRIDE = "AIRFLOW__SECRETS__BACKEND_KWARG__"


def _parse_failure(path, error) -> str:
    """Where the file does not parse, by line number only: a quoted line may hold a secret."""
    lines = [str(line) for line, _text in getattr(error, "errors", [])]
    if getattr(error, "lineno", None):
        lines.append(str(error.lineno))
    where = f" at line {', '.join(lines)}" if lines else ""
    return f"it does not parse as an ini file{where} ({type(error).__name__})"


def _deployment_settings(parser, airflow_home) -> dict:
    """The settings the tools need besides the backend: the cache, the metastore, the workers' backend,
    and which sensitive options the file holds in plain text (by name; never their values)."""
    sql_alchemy_conn = parser.get("database", "sql_alchemy_conn", fallback=None)
    from_file = parser.has_option("database", "sql_alchemy_conn") or "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in os.environ
    if not from_file and airflow_home:
        # Airflow's default, expanded with the deployment's AIRFLOW_HOME rather than the bridge's.
        sql_alchemy_conn = f"sqlite:///{airflow_home}/airflow.db"
    plaintext = []
    for section, key in sorted(parser.sensitive_config_values):
        if configparser.ConfigParser.has_option(parser, section, key):
            value = configparser.ConfigParser.get(parser, section, key, raw=True)
            # A database URL is a secret only when it carries a password (sqlite:///... has none).
            url = re.fullmatch(r"\s*[A-Za-z][A-Za-z0-9+.-]*://(\S*)\s*", value or "")
            if value and value.strip() and (url is None or re.match(r"[^/@]*:[^/@]*@", url.group(1))):
                plaintext.append(f"{section}/{key}")
    try:
        ttl = parser.getint("secrets", "cache_ttl_seconds", fallback=900)
    except Exception:
        ttl = None
    return {
        "use_cache": parser.getboolean("secrets", "use_cache", fallback=False),
        "cache_ttl_seconds": ttl,
        "sql_alchemy_conn": sql_alchemy_conn,
        "workers_backend": parser.get("workers", "secrets_backend", fallback="") or None,
        "plaintext_sensitive": plaintext,
    }


def _any_set(*names) -> bool:
    return any(name in os.environ for name in names)


def read_airflow_config(path, environ, airflow_home=None) -> dict:
    """`[secrets] backend` and the kwargs Airflow would pass it, read by Airflow's own parser."""
    if not isinstance(path, str) or not os.path.isfile(path):
        raise ConfigurationProblem(f"airflow.cfg not found: {path!r}")
    environ = environ or {}
    saved = {name: value for name, value in os.environ.items() if name.startswith("AIRFLOW__")}
    for name in saved:
        del os.environ[name]
    os.environ.update({name: str(value) for name, value in environ.items() if name.startswith("AIRFLOW__")})
    try:
        with recorded_warnings("airflow._shared.configuration.parser") as messages:
            from airflow.configuration import AirflowConfigParser

            parser = AirflowConfigParser()
            try:
                parser.read(path)
            except configparser.Error as error:
                raise ConfigurationProblem(_parse_failure(path, error)) from None
            backend_path = parser.get("secrets", "backend", fallback="") or None
            captured: dict = {}

            class KwargsRecorder:
                def __init__(self, **kwargs) -> None:
                    captured.update(kwargs)

            def recording_getimport(section, key, **_):
                value = parser.get(section, key, fallback="")
                return KwargsRecorder if value else None

            parser.getimport = recording_getimport
            built = parser._get_custom_secret_backend(worker_mode=False)
            env_overrides = sorted(name for name in os.environ if name.startswith(KWARG_OVERRIDE))
            return {
                "backend": backend_path if built is not None else None,
                "kwargs": captured,
                "warnings": [secret_free(message) for message in messages],
                "backend_from_environment": _any_set("AIRFLOW__SECRETS__BACKEND", "AIRFLOW__SECRETS__BACKEND_CMD"),
                "kwargs_from_environment": _any_set(
                    "AIRFLOW__SECRETS__BACKEND_KWARGS", "AIRFLOW__SECRETS__BACKEND_KWARGS_CMD", "AIRFLOW__SECRETS__BACKEND_KWARGS_SECRET"
                ),
                "per_key_overrides": [name[len(KWARG_OVERRIDE):].lower() for name in env_overrides],
                "settings": _deployment_settings(parser, airflow_home),
            }
    finally:
        for name in [n for n in os.environ if n.startswith("AIRFLOW__")]:
            del os.environ[name]
        os.environ.update(saved)
