"""The vault family's part of bridge/airflow_bridge.py: how hvac's exceptions map to the harness's
error kinds, and which distributions the hashicorp provider's behaviour depends on.

The bridge loads every backends/<family>/bridge_plugin.py at start; each may define the names below.
"""

import os

DISTRIBUTIONS = ("apache-airflow-providers-hashicorp", "hvac")

UNAVAILABLE_TYPES = (
    "hvac.exceptions.VaultDown",
    "hvac.exceptions.InternalServerError",
    "hvac.exceptions.BadGateway",
    "hvac.exceptions.VaultNotInitialized",
)


def classify(error, lineage):
    """The kind of an hvac refusal, before network failures are looked at; None when not one."""
    if "hvac.exceptions.Forbidden" in lineage:
        return "forbidden"
    if "hvac.exceptions.Unauthorized" in lineage:
        return "unauthorized"
    if "hvac.exceptions.RateLimitExceeded" in lineage:
        return "throttled"
    if "hvac.exceptions.InvalidRequest" in lineage and "/v1/auth/" in str(error):
        # A login Vault refused with 400: bad credentials, unless the auth method could not reach
        # its own identity source (an LDAP outage is 400 "error connecting to host" too).
        return "unavailable" if "error connecting to host" in str(error) else "unauthorized"
    return None


def classify_fallback(error, lineage):
    """A plain VaultError, after timeouts and outages were ruled out: the provider's own words."""
    if "hvac.exceptions.VaultError" not in lineage:
        return None
    message = str(error)
    if "Authentication Error" in message:
        return "unauthorized"
    # The provider's own checks of its kwargs ("... requires 'role_id'", "... not supported").
    if "requires" in message or "not supported" in message or "only be used with" in message:
        return "configuration"
    return None


# ---------------------------------------------------------------------------------------------
# The tools' hooks (bridge/airflow_deployment.py): listing a store, checking a deployment's backend.

BACKEND_CLASSES = ("airflow.providers.hashicorp.secrets.vault.VaultBackend",)
# Where a probe path points: under each configured base, and at the mount's root, outside every base.
PROBE_NAME = "asc-doctor-probe"
OUTSIDE_NAME = "asc-doctor-outside-probe"


def passthrough_parameters(cls):
    """VaultBackend hands every kwarg it does not name to hvac.Client (via _VaultClient), which fails at
    first use on one it does not take; the provider itself reads verify, cert, proxies and session."""
    import inspect

    import hvac

    names = {
        name
        for name, parameter in inspect.signature(hvac.Client.__init__).parameters.items()
        if name != "self" and parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    }
    return "hvac.Client", names


def _kv_prefix(backend) -> str:
    return "data/" if backend.vault_client.kv_engine_version == 2 else ""


def list_names(backend, kind):
    """The names under each base path of `kind` (one level, as Vault's LIST answers), relative to the mount,
    read with the backend's own authenticated client: a policy that forbids LIST raises Forbidden."""
    import hvac.exceptions

    paths = getattr(backend, f"{kind}_path", None) if kind != "config" else backend.config_path
    mount = backend.mount_point
    if not paths or not mount:
        return []
    client = backend.vault_client.client
    names = []
    for base in paths:
        try:
            if backend.vault_client.kv_engine_version == 1:
                answer = client.secrets.kv.v1.list_secrets(path=base, mount_point=mount)
            else:
                answer = client.secrets.kv.v2.list_secrets(path=base, mount_point=mount)
        except hvac.exceptions.InvalidPath:
            continue
        for key in (answer or {}).get("data", {}).get("keys", []):
            names.append(f"{base}/{key}" if base else key)
    return names


def _check(check, severity, message, fix=None):
    found = {"check": check, "severity": severity, "message": message}
    if fix:
        found["fix"] = fix
    return found


def doctor_checks(backend, describe):
    """What a deployment's VaultBackend can be checked for without writing: the server, the login, what
    the identity may read, the KV version of the mount, TLS."""
    import hvac

    wrapper = backend.vault_client
    url = wrapper.url or os.environ.get("VAULT_ADDR") or "http://localhost:8200"
    checks = []
    settings = {name: wrapper.kwargs[name] for name in ("verify", "cert", "proxies", "namespace", "timeout") if name in wrapper.kwargs}
    try:
        health = hvac.Client(url=url, **settings).sys.read_health_status(method="GET")
        status = health.status_code if hasattr(health, "status_code") else 200
        body = health.json() if hasattr(health, "json") else health
        sealed = bool(body.get("sealed")) if isinstance(body, dict) else False
        if sealed:
            checks.append(_check("server", "error", f"Vault at {url} answers but is sealed", "unseal Vault"))
        else:
            version = body.get("version", "?") if isinstance(body, dict) else "?"
            checks.append(_check("server", "ok", f"Vault at {url} answers (version {version}, health {status})"))
    except Exception as error:
        described = describe(error, "open")
        checks.append(_check("server", "error", f"Vault at {url} does not answer: {described['kind']}: {described['message']}",
                             "check url (or VAULT_ADDR) and that the server is up and reachable from here"))
        return checks
    if url.startswith("http://"):
        checks.append(_check("tls", "warning", f"{url} is plain HTTP: the token and every secret cross the network unencrypted",
                             "serve Vault over https and set url to the https address"))
    elif settings.get("verify") is False:
        checks.append(_check("tls", "warning", "verify is false: the server's certificate is not checked",
                             'remove "verify": false from backend_kwargs, or point verify at the CA bundle'))
    else:
        checks.append(_check("tls", "ok", "https with certificate verification"))
    try:
        client = wrapper.client
        identity = client.auth.token.lookup_self()
        data = identity.get("data", {}) if isinstance(identity, dict) else {}
        policies = ", ".join(data.get("policies") or []) or "(none)"
        ttl = data.get("ttl")
        checks.append(_check("auth", "ok", f"{wrapper.auth_type} login works; token policies: {policies}; ttl {ttl if ttl else 'none'}"))
    except Exception as error:
        described = describe(error, "open")
        checks.append(_check("auth", "error", f"{wrapper.auth_type} authentication fails: {described['kind']}: {described['message']}",
                             "check the credentials in backend_kwargs (or VAULT_TOKEN) and that they have not expired"))
        return checks
    mount = backend.mount_point
    if not mount:
        checks.append(_check("policy", "info", "mount_point is null: the mount is the first segment of each id; read rights not checked"))
        return checks
    try:
        ui = client.adapter.get(f"/v1/sys/internal/ui/mounts/{mount}")
        ui_data = ui.get("data", {}) if isinstance(ui, dict) else ui.json().get("data", {})
        options = ui_data.get("options") or {}
        mounted = int(options.get("version") or 1) if ui_data.get("type") in ("kv", "generic") else None
        configured = wrapper.kv_engine_version
        if mounted is None:
            checks.append(_check("kv-version", "error", f'mount "{mount}" is a {ui_data.get("type")} engine, not KV', "point mount_point at a KV mount"))
        elif mounted != configured:
            checks.append(_check("kv-version", "error", f'mount "{mount}" is KV v{mounted} but kv_engine_version is {configured}: every lookup reads the wrong API path',
                                 f'set "kv_engine_version": {mounted} in backend_kwargs'))
        elif mounted == 1:
            checks.append(_check("kv-version", "warning", f'mount "{mount}" is KV v1: no versions, so a bad write cannot be rolled back and rotation has no history',
                                 "move the secrets to a KV v2 mount (vault kv enable-versioning, or migrate --to vault into a v2 mount)"))
        else:
            checks.append(_check("kv-version", "ok", f'mount "{mount}" is KV v2 (versioned)'))
    except Exception as error:
        described = describe(error, "open")
        checks.append(_check("kv-version", "info", f'the KV version of mount "{mount}" could not be read: {described["kind"]}'))
    prefix = _kv_prefix(backend)
    inside = []
    for kind in ("connections", "variables", "config"):
        for base in getattr(backend, f"{kind}_path") or []:
            inside.append((kind, f"{mount}/{prefix}{base + '/' if base else ''}{PROBE_NAME}"))
    outside = f"{mount}/{prefix}{OUTSIDE_NAME}"
    try:
        answer = client.sys.get_capabilities(paths=[path for _, path in inside] + [outside])
        capabilities = answer.get("data", answer) if isinstance(answer, dict) else {}
        unreadable = [(kind, f"{kind} ({path.rsplit('/', 1)[0]}/)") for kind, path in inside if not _can_read(capabilities.get(path))]
        lookups = [where for kind, where in unreadable if kind != "config"]
        config = [where for kind, where in unreadable if kind == "config"]
        if lookups:
            checks.append(_check("policy", "error", f"the identity cannot read {', '.join(lookups)}",
                                 "grant read on those paths in the token's policy"))
        else:
            checks.append(_check("policy", "ok", "the identity can read the connections and variables paths"))
        if config:
            # Only `[section] key_secret` options read config_path (spec §3.3).
            checks.append(_check("policy", "info", f"the identity cannot read {', '.join(config)}: fine unless an option uses <key>_secret",
                                 'set "config_path": null when no option is read from Vault'))
        if _can_read(capabilities.get(outside)):
            extent = "everything (root)" if "root" in (capabilities.get(outside) or []) else f"{mount}/{prefix}* beyond its paths"
            checks.append(_check("least-privilege", "warning", f"the identity can read {extent}, not only its prefixes",
                                 f'limit the policy to path "{mount}/{prefix}<path>/*" with capabilities ["read"] for each configured path'))
        else:
            checks.append(_check("least-privilege", "ok", "the identity cannot read outside its configured paths"))
    except Exception as error:
        described = describe(error, "open")
        checks.append(_check("policy", "info", f"the token's capabilities could not be read: {described['kind']}: {described['message']}"))
    return checks


def _can_read(capabilities) -> bool:
    return bool(capabilities) and ("read" in capabilities or "root" in capabilities)
