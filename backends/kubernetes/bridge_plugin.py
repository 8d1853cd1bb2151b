"""The kubernetes family's part of bridge/airflow_bridge.py: how the kubernetes client's exceptions map
to the harness's error kinds, and the in-cluster adapter.

The in-cluster adapter. Airflow's KubernetesSecretsBackend authenticates only with
`kubernetes.config.load_incluster_config()`, which reads KUBERNETES_SERVICE_HOST/PORT from the environment
and the service-account token and CA from /var/run/secrets/kubernetes.io/serviceaccount/, and it reads
its namespace from the `namespace` file there. The harness runs it outside a pod, against the run's
API server, and several "pods" (service accounts) share one bridge process. So `adapt_open` takes the
harness's `incluster_host`, `incluster_port`, `incluster_token_file`, `incluster_ca_file` and
`incluster_namespace_file` kwargs out before the class is built, for every class the family handles
(bridge/family_plugins.py `declares`: a subclass of the provider's class, or any class the bridge was
started for with `--layout kubernetes`), and then, for that one instance only:
  * builds its `client` by Airflow's own cached property (`load_incluster_config()`, then
    `CoreV1Api(ApiClient())`), with the two environment entries and the kubernetes module's
    SERVICE_TOKEN_FILENAME / SERVICE_CERT_FILENAME pointed at the pod's for the duration of that call,
    all restored afterwards (a class of one's own without a `client` is left to build its own);
  * points the instance's SERVICE_ACCOUNT_NAMESPACE_PATH (a class attribute) at the pod's namespace
    file, shadowing it on the instance.
Nothing else of the class or the client is changed: the lookups, the namespace auto-detection and its
error, the label selectors and the decoding are Airflow's own code. A failure of `load_incluster_config`
is raised from the open, where Airflow would raise it at the first lookup.
"""

import contextlib
import os

DISTRIBUTIONS = ("apache-airflow-providers-cncf-kubernetes", "kubernetes")

BACKEND_CLASSES = ("airflow.providers.cncf.kubernetes.secrets.kubernetes_secrets_backend.KubernetesSecretsBackend",)
# The store layouts whose harness kwargs `adapt_open` takes, whatever the class.
LAYOUTS = ("kubernetes",)

ADAPTER_KWARGS = (
    "incluster_host",
    "incluster_port",
    "incluster_token_file",
    "incluster_ca_file",
    "incluster_namespace_file",
)


@contextlib.contextmanager
def _pod(adapter):
    from kubernetes.config import incluster_config

    saved_env = {name: os.environ.get(name) for name in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")}
    saved_files = (incluster_config.SERVICE_TOKEN_FILENAME, incluster_config.SERVICE_CERT_FILENAME)
    try:
        for env_name, kwarg in (("KUBERNETES_SERVICE_HOST", "incluster_host"), ("KUBERNETES_SERVICE_PORT", "incluster_port")):
            if kwarg in adapter:
                os.environ[env_name] = str(adapter[kwarg])
        if "incluster_token_file" in adapter:
            incluster_config.SERVICE_TOKEN_FILENAME = adapter["incluster_token_file"]
        if "incluster_ca_file" in adapter:
            incluster_config.SERVICE_CERT_FILENAME = adapter["incluster_ca_file"]
        yield
    finally:
        incluster_config.SERVICE_TOKEN_FILENAME, incluster_config.SERVICE_CERT_FILENAME = saved_files
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def adapt_open(kwargs):
    """(kwargs without the adapter's, finish(instance)) given `incluster_*`; else None. Asked only for a class
    the family handles (bridge/family_plugins.py `declares`), never by its exact path."""
    if not any(name in kwargs for name in ADAPTER_KWARGS):
        return None
    adapter = {name: kwargs[name] for name in ADAPTER_KWARGS if name in kwargs}
    rest = {name: value for name, value in kwargs.items() if name not in ADAPTER_KWARGS}

    def finish(instance):
        if "incluster_namespace_file" in adapter:
            instance.SERVICE_ACCOUNT_NAMESPACE_PATH = adapter["incluster_namespace_file"]
        if not hasattr(type(instance), "client"):
            return
        with _pod(adapter):
            instance.client  # noqa: B018 - Airflow's cached_property: load_incluster_config() and the CoreV1Api

    return rest, finish


def _status(error):
    return getattr(error, "status", None)


def classify(error, lineage):
    """The kind of a kubernetes client refusal, before network failures are looked at; None when not one."""
    if "kubernetes.client.exceptions.ApiException" in lineage:
        status = _status(error)
        if status == 401:
            return "unauthorized"
        if status == 403:
            return "forbidden"
        if status == 429:
            return "throttled"
        if status == 400:
            # The label selector is the only text of the list an id shapes.
            return "invalid-name"
        if isinstance(status, int) and status >= 500:
            return "unavailable"
        return None
    if "kubernetes.config.config_exception.ConfigException" in lineage:
        return "configuration"
    # Raised while handling the FileNotFoundError of the namespace file, which would read as an outage.
    if any(name.endswith(".AirflowException") for name in lineage) and "auto-detect Kubernetes namespace" in str(error):
        return "configuration"
    return None
