"""What Airflow's own Vault stack does against a production-mode Vault: hvac (as the hashicorp
provider pins it) and the provider's VaultBackend, run in the Airflow venv.

Reads one JSON request on stdin, prints one JSON answer on stdout:
  {"client": "hvac", "url": ..., "verify": <ca path> | false, "namespace": ..., "token": ...,
   "login": {"method": "userpass" | "ldap" | "aws_iam", ...}, "action": {"kind": "health" | "read" | "lease-cycle", ...}}
  {"client": "airflow", "kwargs": {...VaultBackend kwargs...}, "lookup": {"kind": "connection" | "variable", "key": ...}}
Answer: {"ok": true, "value": ...} or {"ok": false, "error": {"type": ..., "message": ...}}.
  {"batch": [request, ...]} answers with the list of answers, in order.
"""

import json
import sys
import warnings

ANSWER_MARKER = "@@vault-client-probe-answer@@"


def error_answer(error):
    cause = error
    # requests wraps urllib3 wraps ssl: the innermost reason is the one worth reading.
    while getattr(cause, "__context__", None) is not None and cause.__context__ is not cause:
        cause = cause.__context__
    return {
        "ok": False,
        "error": {
            "type": f"{type(error).__module__}.{type(error).__name__}",
            "message": str(error)[:600],
            "root_type": f"{type(cause).__module__}.{type(cause).__name__}",
            "root_message": str(cause)[:400],
        },
    }


def hvac_login(client, login):
    method = login["method"]
    mount = login.get("mount_point")
    if method == "userpass":
        return client.auth.userpass.login(login["username"], login["password"], mount_point=mount or "userpass")
    if method == "ldap":
        return client.auth.ldap.login(login["username"], login["password"], mount_point=mount or "ldap")
    if method == "aws_iam":
        return client.auth.aws.iam_login(
            login["access_key"],
            login["secret_key"],
            role=login.get("role"),
            region=login.get("region", "us-east-1"),
            header_value=login.get("header_value"),
            mount_point=mount or "aws",
        )
    raise ValueError(f"unknown login method {method}")


def run_hvac(request):
    import hvac

    client = hvac.Client(
        url=request["url"],
        verify=request.get("verify", True),
        namespace=request.get("namespace"),
        token=request.get("token"),
        timeout=10,
    )
    result = {}
    if "login" in request:
        answer = hvac_login(client, request["login"])
        auth = answer["auth"]
        result["login"] = {
            "policies": auth.get("policies"),
            "entity_id": auth.get("entity_id"),
            "metadata": auth.get("metadata"),
            "token_is_set": bool(client.token),
        }
    action = request.get("action", {"kind": "health"})
    if action["kind"] == "health":
        result["health"] = client.sys.read_health_status(method="GET")
    elif action["kind"] == "read":
        result["read"] = client.secrets.kv.v2.read_secret_version(
            path=action["path"], mount_point=action.get("mount_point", "secret"), raise_on_deleted_version=True
        )["data"]["data"]
    elif action["kind"] == "lease-cycle":
        result.update(lease_cycle(client, action))
    return {"ok": True, "value": result}


def lease_cycle(client, action):
    """What a custom backend serving leased credentials does with hvac: get, renew, revoke."""
    if action["engine"] == "database":
        issued = client.secrets.database.generate_credentials(name=action["role"], mount_point=action.get("mount_point", "database"))
    else:
        issued = client.secrets.aws.generate_credentials(name=action["role"], mount_point=action.get("mount_point", "aws"))
    renewed = client.sys.renew_lease(lease_id=issued["lease_id"], increment=action["increment"])
    client.sys.revoke_lease(lease_id=issued["lease_id"])
    return {
        "lease": {
            "lease_duration": issued["lease_duration"],
            "renewable": issued["renewable"],
            "username": issued["data"].get("username") or issued["data"].get("access_key"),
        },
        "renewed": {"lease_duration": renewed["lease_duration"]},
        "revoked": True,
    }


def run_airflow(request):
    from airflow.providers.hashicorp.secrets.vault import VaultBackend

    backend = VaultBackend(**request["kwargs"])
    lookup = request["lookup"]
    if lookup["kind"] == "connection":
        connection = backend.get_connection(lookup["key"])
        value = None if connection is None else {"login": connection.login, "password": connection.password, "host": connection.host}
    else:
        value = backend.get_variable(lookup["key"])
    return {"ok": True, "value": value}


def answer_to(request):
    try:
        return run_hvac(request) if request["client"] == "hvac" else run_airflow(request)
    except Exception as error:  # the error itself is the answer
        return error_answer(error)


def main():
    request = json.load(sys.stdin)
    warnings.simplefilter("ignore")
    # A batch shares one interpreter start (importing Airflow takes seconds).
    answer = [answer_to(one) for one in request["batch"]] if "batch" in request else answer_to(request)
    # Airflow logs to stdout too: the answer is the line after the marker.
    sys.stdout.write("\n" + ANSWER_MARKER + "\n" + json.dumps(answer, default=str) + "\n")


if __name__ == "__main__":
    main()
