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
