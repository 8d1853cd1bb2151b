"""The aws family's part of bridge/airflow_bridge.py: how botocore's exceptions map to the harness's
error kinds, and which distributions the amazon provider's behaviour depends on.

The bridge loads every backends/<family>/bridge_plugin.py at start; each may define the names below.
"""

import re

DISTRIBUTIONS = ("apache-airflow-providers-amazon", "boto3", "botocore")

TIMEOUT_TYPES = (
    "botocore.exceptions.ReadTimeoutError",
    "botocore.exceptions.ConnectTimeoutError",
)
REFUSED_TYPES = ("botocore.exceptions.EndpointConnectionError",)
UNAVAILABLE_TYPES = (
    "botocore.exceptions.EndpointConnectionError",
    "botocore.exceptions.ConnectionClosedError",
    "botocore.exceptions.HTTPClientError",
)

UNAUTHORIZED_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
    "UnauthorizedException",
}
FORBIDDEN_CODES = {"AccessDenied", "AccessDeniedException"}
THROTTLED_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
}

_XML_ERROR_CODE = re.compile(r"<Code>([A-Za-z0-9.]+)</Code>")


def _client_error_kind(error):
    response = getattr(error, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    if isinstance(code, str) and code.isdigit():
        # moto answers some refusals with an XML body even on JSON-protocol services (its IAM
        # layer); botocore then reports only the status as the code, and the real code sits in
        # the message. AWS itself answers in JSON, which botocore parses into the code directly.
        found = _XML_ERROR_CODE.search(str((response.get("Error") or {}).get("Message", "")))
        if found:
            code = found.group(1)
    if code in UNAUTHORIZED_CODES:
        return "unauthorized"
    if code in FORBIDDEN_CODES:
        return "forbidden"
    if code in THROTTLED_CODES or status == 429:
        return "throttled"
    if status == 401:
        return "unauthorized"
    if status == 403:
        return "forbidden"
    if isinstance(status, int) and status >= 500:
        return "unavailable"
    return None


def classify(error, lineage):
    """The kind of a botocore refusal, before network failures are looked at; None when not one."""
    if "botocore.exceptions.NoCredentialsError" in lineage or "botocore.exceptions.PartialCredentialsError" in lineage:
        return "unauthorized"
    if "botocore.exceptions.ClientError" in lineage:
        return _client_error_kind(error)
    return None


# ---------------------------------------------------------------------------------------------
# The tools' hooks (bridge/airflow_deployment.py): listing a store, checking a deployment's backend.

SECRETS_MANAGER_CLASS = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
BACKEND_CLASSES = (
    SECRETS_MANAGER_CLASS,
    "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
)
MAX_LIST_PAGES = 20
# Extras AwsConnectionWrapper reads by name (providers/amazon/aws/utils/connection_wrapper.py, 9.39.0),
# besides the keyword parameters of its _get_credentials and _get_assume_role_configs.
WRAPPER_EXTRAS = ("region_name", "verify", "profile_name", "config_kwargs", "endpoint_url", "service_config", "s3_config_file", "profile")


def passthrough_parameters(cls):
    """Both backends pop api_version and use_ssl and pass every other kwarg as the extras of a synthetic
    AWS connection; AwsConnectionWrapper reads the names below and ignores the rest without a word."""
    import inspect

    from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper

    names = set(WRAPPER_EXTRAS) | {"api_version", "use_ssl"}
    for method in (AwsConnectionWrapper._get_credentials, AwsConnectionWrapper._get_assume_role_configs):
        for name, parameter in inspect.signature(method).parameters.items():
            if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD:
                names.add(name)
    return "the extras of the provider's AWS connection (AwsConnectionWrapper)", names


def _is_secrets_manager(backend) -> bool:
    """By the class, subclasses included (never its name): a subclass of SecretsManagerBackend is one."""
    from airflow._shared.module_loading import import_string

    return isinstance(backend, import_string(SECRETS_MANAGER_CLASS))


def list_names(backend, kind):
    """Names under the kind's prefix, read with the backend's own client (its credentials): ListSecrets for
    Secrets Manager, GetParametersByPath for SSM. AccessDenied propagates."""
    prefix = getattr(backend, f"{kind}_prefix", None)
    if prefix is None:
        return []
    client = backend.client
    names = []
    token = None
    for _page in range(MAX_LIST_PAGES):
        if _is_secrets_manager(backend):
            request = {"MaxResults": 100, **({"NextToken": token} if token else {})}
            if prefix:
                request["Filters"] = [{"Key": "name", "Values": [prefix]}]
            answer = client.list_secrets(**request)
            names.extend(secret["Name"] for secret in answer.get("SecretList", []))
        else:
            path = "/" + prefix.lstrip("/") if prefix else "/"
            answer = client.get_parameters_by_path(Path=path, Recursive=True, MaxResults=10, **({"NextToken": token} if token else {}))
            names.extend(parameter["Name"] for parameter in answer.get("Parameters", []))
        token = answer.get("NextToken")
        if not token:
            break
    return names


def _check(check, severity, message, fix=None):
    found = {"check": check, "severity": severity, "message": message}
    if fix:
        found["fix"] = fix
    return found


def _probe(backend, name):
    """Reads `name` the way the backend reads (GetSecretValue / GetParameter): None when absent, else the error."""
    try:
        if _is_secrets_manager(backend):
            backend.client.get_secret_value(SecretId=name)
        else:
            backend.client.get_parameter(Name=name, WithDecryption=True)
        return "present"
    except Exception as error:
        code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
        if code in ("ResourceNotFoundException", "ParameterNotFound"):
            return None
        return error


def doctor_checks(backend, describe):
    """The endpoint, the credentials, what the identity may read (a read of a name under each prefix must be
    allowed, one outside them refused), TLS."""
    import uuid

    service = "Secrets Manager" if _is_secrets_manager(backend) else "SSM Parameter Store"
    kwargs = getattr(backend, "kwargs", {}) or {}
    endpoint = kwargs.get("endpoint_url") or "the AWS endpoint of the region"
    checks = []
    tag = uuid.uuid4().hex[:8]
    sep = getattr(backend, "sep", "/")
    inside = []
    for kind in ("connections", "variables", "config"):
        prefix = getattr(backend, f"{kind}_prefix", None)
        if prefix is None:
            continue
        name = f"{prefix}{sep}asc-doctor-probe-{tag}" if prefix else f"asc-doctor-probe-{tag}"
        if not _is_secrets_manager(backend) and not name.startswith("/"):
            name = "/" + name
        inside.append((kind, prefix, name))
    failures = []
    for kind, prefix, name in inside:
        outcome = _probe(backend, name)
        if isinstance(outcome, Exception):
            failures.append((kind, prefix, describe(outcome, "get_variable")))
    first = failures[0][2] if failures else None
    if first and first["kind"] in ("unavailable", "timeout"):
        checks.append(_check("server", "error", f"{service} at {endpoint} does not answer: {first['kind']}: {first['message']}",
                             "check endpoint_url / region_name and that the endpoint is reachable from here"))
        return checks
    checks.append(_check("server", "ok", f"{service} at {endpoint} answers"))
    if first and first["kind"] == "unauthorized":
        checks.append(_check("auth", "error", f"the credentials are refused: {first['message']}",
                             "check the keys, profile or role the backend uses (backend_kwargs, AWS_* environment, instance role)"))
        return checks
    checks.append(_check("auth", "ok", "the credentials are accepted"))
    denied = [f"{kind} ({prefix})" for kind, prefix, error in failures if error["kind"] == "forbidden"]
    other = [f"{kind}: {error['kind']}: {error['message']}" for kind, prefix, error in failures if error["kind"] != "forbidden"]
    if denied:
        checks.append(_check("policy", "error", f"the identity may not read {', '.join(denied)}",
                             f"allow {'secretsmanager:GetSecretValue' if _is_secrets_manager(backend) else 'ssm:GetParameter'} on those prefixes"))
    elif other:
        checks.append(_check("policy", "error", "; ".join(other)))
    else:
        checks.append(_check("policy", "ok", "the identity can read under every configured prefix"))
    outside = f"asc-doctor-outside-probe-{tag}" if _is_secrets_manager(backend) else f"/asc-doctor-outside-probe-{tag}"
    outcome = _probe(backend, outside)
    if outcome is None:
        checks.append(_check("least-privilege", "warning", f"the identity can read {outside}, outside every configured prefix",
                             "limit the IAM policy's Resource to the configured prefixes (arn:...:secret:<prefix>/* or parameter/<prefix>/*)"))
    elif isinstance(outcome, Exception) and describe(outcome, "get_variable")["kind"] == "forbidden":
        checks.append(_check("least-privilege", "ok", "a read outside the configured prefixes is refused"))
    if isinstance(endpoint, str) and endpoint.startswith("http://"):
        checks.append(_check("tls", "warning", f"endpoint_url {endpoint} is plain HTTP: credentials are signed but every secret crosses the network unencrypted",
                             "use an https endpoint_url (or none, for AWS's own https endpoints)"))
    elif kwargs.get("verify") is False:
        checks.append(_check("tls", "warning", "verify is false: the endpoint's certificate is not checked", 'remove "verify": false'))
    else:
        checks.append(_check("tls", "ok", "https with certificate verification"))
    return checks
