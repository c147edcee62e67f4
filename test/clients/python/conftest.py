"""Shared setup of the Python client suite: see scripts/clients.sh.

The proxy under test is described by the environment that scripts/clients.sh
exports: PROXY_URL (https), PROXY_CA_FILE (the CA that signed the proxy's
certificate), ADMIN_USER/ADMIN_PASSWORD (role superuser),
READER_USER/READER_PASSWORD (no privilege on clients-* indices), CLIENTS_RUN_ID.
"""
import os
from types import SimpleNamespace

import pytest


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through scripts/clients.sh")
    return value


@pytest.fixture(scope="session")
def proxy():
    return SimpleNamespace(
        url=_env("PROXY_URL"),
        ca_file=_env("PROXY_CA_FILE"),
        admin=(_env("ADMIN_USER"), _env("ADMIN_PASSWORD")),
        reader=(_env("READER_USER"), _env("READER_PASSWORD")),
        run_id=_env("CLIENTS_RUN_ID").lower(),
    )


def _opensearch_py():
    import opensearchpy
    from opensearchpy import exceptions, helpers

    def make(url, auth=None, ca_file=None):
        kwargs = dict(verify_certs=True, max_retries=0, retry_on_timeout=False, timeout=30)
        if ca_file:
            kwargs["ca_certs"] = ca_file
        if auth:
            kwargs["http_auth"] = auth
        return opensearchpy.OpenSearch(hosts=[url], **kwargs)

    return SimpleNamespace(
        name="opensearch-py", version=opensearchpy.__versionstr__, make=make, exc=exceptions, helpers=helpers
    )


def _elasticsearch_py():
    import elasticsearch
    from elasticsearch import exceptions, helpers

    def make(url, auth=None, ca_file=None):
        kwargs = dict(verify_certs=True, max_retries=0, retry_on_timeout=False, timeout=30)
        if ca_file:
            kwargs["ca_certs"] = ca_file
        if auth:
            kwargs["http_auth"] = auth
        return elasticsearch.Elasticsearch([url], **kwargs)

    return SimpleNamespace(
        name="elasticsearch-py", version=elasticsearch.__versionstr__, make=make, exc=exceptions, helpers=helpers
    )


@pytest.fixture(scope="session", params=["opensearch-py", "elasticsearch-py"])
def flavor(request):
    return {"opensearch-py": _opensearch_py, "elasticsearch-py": _elasticsearch_py}[request.param]()
