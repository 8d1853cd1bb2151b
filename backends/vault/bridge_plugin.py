"""The vault family's part of bridge/airflow_bridge.py: how hvac's exceptions map to the harness's
error kinds, and which distributions the hashicorp provider's behaviour depends on.

The bridge loads every backends/<family>/bridge_plugin.py at start; each may define the names below.
"""

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
