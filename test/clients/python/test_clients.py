"""Portcullis end to end with the official Python clients (opensearch-py and
elasticsearch-py 7.13), over TLS verified against the proxy's CA, HTTP Basic.
Every test runs once per client (the `flavor` fixture)."""
import pytest

DOCS = [
    {"n": 1, "title": "alpha portcullis", "tag": "keep"},
    {"n": 2, "title": "beta portcullis", "tag": "keep"},
    {"n": 3, "title": "gamma portcullis", "tag": "drop"},
]


def index_name(proxy, flavor):
    return f"clients-py-{flavor.name}-{proxy.run_id}"


def error_reason(err):
    """The top-level error reason of an Elasticsearch error body."""
    assert isinstance(err.info, dict), f"error body is not JSON: {err.info!r}"
    return err.info["error"]["reason"]


def test_superuser_round_trip(proxy, flavor):
    client = flavor.make(proxy.url, auth=proxy.admin, ca_file=proxy.ca_file)
    index = index_name(proxy, flavor)

    health = client.cluster.health()
    assert health["status"] in ("green", "yellow")
    assert health["number_of_nodes"] >= 1

    info = client.info()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("2.")

    try:
        created = client.indices.create(
            index=index,
            body={
                "settings": {"number_of_shards": 1, "number_of_replicas": 0},
                "mappings": {"properties": {"n": {"type": "integer"}, "tag": {"type": "keyword"}}},
            },
        )
        assert created["acknowledged"] is True
        assert created["index"] == index

        ops = []
        for doc in DOCS:
            ops.append({"index": {"_index": index, "_id": str(doc["n"])}})
            ops.append(doc)
        bulk = client.bulk(body=ops, refresh="true")
        assert bulk["errors"] is False
        assert [i["index"]["result"] for i in bulk["items"]] == ["created"] * 3
        assert [i["index"]["_id"] for i in bulk["items"]] == ["1", "2", "3"]

        res = client.search(
            index=index,
            body={"query": {"term": {"tag": "keep"}}, "sort": [{"n": "asc"}]},
        )
        assert res["hits"]["total"]["value"] == 2
        assert [h["_id"] for h in res["hits"]["hits"]] == ["1", "2"]
        assert [h["_source"]["title"] for h in res["hits"]["hits"]] == ["alpha portcullis", "beta portcullis"]

        res = client.search(index=index, body={"query": {"match": {"title": "portcullis"}}})
        assert res["hits"]["total"]["value"] == 3

        got = client.get(index=index, id="3")
        assert got["found"] is True
        assert got["_id"] == "3"
        assert got["_source"] == DOCS[2]

        with pytest.raises(flavor.exc.NotFoundError) as nf:
            client.get(index=index, id="404")
        assert nf.value.status_code == 404
    finally:
        deleted = client.indices.delete(index=index, ignore=[404])
    assert deleted == {"acknowledged": True}
    assert client.indices.exists(index=index) is False


def test_reader_search_forbidden(proxy, flavor):
    client = flavor.make(proxy.url, auth=proxy.reader, ca_file=proxy.ca_file)
    index = index_name(proxy, flavor)
    with pytest.raises(flavor.exc.AuthorizationException) as exc:
        client.search(index=index, body={"query": {"match_all": {}}})
    err = exc.value
    assert err.status_code == 403
    assert err.error == "security_exception"
    assert err.info["status"] == 403
    assert err.info["error"]["root_cause"][0]["type"] == "security_exception"
    user = proxy.reader[0]
    assert error_reason(err).startswith(
        f"action [indices:data/read/search] is unauthorized for user [{user}]"
    ), error_reason(err)


def test_wrong_password_unauthorized(proxy, flavor):
    user = proxy.reader[0]
    client = flavor.make(proxy.url, auth=(user, "not-" + proxy.reader[1]), ca_file=proxy.ca_file)
    index = index_name(proxy, flavor)
    with pytest.raises(flavor.exc.AuthenticationException) as exc:
        client.search(index=index, body={"query": {"match_all": {}}})
    err = exc.value
    assert err.status_code == 401
    assert err.error == "security_exception"
    assert error_reason(err) == f"unable to authenticate user [{user}] for REST request [/{index}/_search]"


def test_no_credentials_unauthorized(proxy, flavor):
    client = flavor.make(proxy.url, ca_file=proxy.ca_file)
    index = index_name(proxy, flavor)
    with pytest.raises(flavor.exc.AuthenticationException) as exc:
        client.search(index=index, body={"query": {"match_all": {}}})
    err = exc.value
    assert err.status_code == 401
    assert err.error == "security_exception"
    assert error_reason(err) == f"missing authentication credentials for REST request [/{index}/_search]"


def test_certificate_is_verified(proxy, flavor):
    """Without the proxy's CA the client must refuse the connection: the suite
    really verifies the certificate (no insecure flags anywhere)."""
    client = flavor.make(proxy.url, auth=proxy.admin)  # system trust store only
    with pytest.raises(flavor.exc.SSLError) as exc:
        client.cluster.health()
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc.value)


def test_scroll_helpers_use_wrapped_ids(proxy, flavor):
    """The clients' scan helper (scroll + clear_scroll) works through the
    proxy, which hands out owner-bound tokens instead of cluster ids."""
    client = flavor.make(proxy.url, auth=proxy.admin, ca_file=proxy.ca_file)
    index = index_name(proxy, flavor) + "-scroll"
    try:
        ops = []
        for n in range(23):
            ops.append({"index": {"_index": index, "_id": str(n)}})
            ops.append({"n": n})
        assert client.bulk(body=ops, refresh="true")["errors"] is False

        first = client.search(index=index, scroll="1m", size=5, body={"sort": ["_doc"]})
        assert first["_scroll_id"].startswith("pc1"), "scroll ids must be the proxy's tokens"
        client.clear_scroll(scroll_id=first["_scroll_id"])

        seen = sorted(int(h["_id"]) for h in flavor.helpers.scan(client, index=index, size=5, scroll="1m"))
        assert seen == list(range(23))
    finally:
        client.indices.delete(index=index, ignore=[404])


def test_has_privileges_answered_by_the_proxy(proxy, flavor):
    """security.has_privileges and get_user_privileges (elasticsearch-py) are
    answered by the proxy from its roles: the reader may read public-* only."""
    if flavor.name != "elasticsearch-py":
        pytest.skip("opensearch-py has no Elasticsearch security API")
    client = flavor.make(proxy.url, auth=proxy.reader, ca_file=proxy.ca_file)
    res = client.security.has_privileges(
        body={
            "cluster": ["monitor"],
            "index": [{"names": ["public-1", "public-*", index_name(proxy, flavor)], "privileges": ["read", "write"]}],
        }
    )
    assert res == {
        "username": proxy.reader[0],
        "has_all_requested": False,
        "cluster": {"monitor": False},
        "index": {
            "public-1": {"read": True, "write": False},
            "public-*": {"read": True, "write": False},
            index_name(proxy, flavor): {"read": False, "write": False},
        },
        "application": {},
    }
    privileges = client.security.get_user_privileges()
    assert privileges["cluster"] == []
    assert privileges["indices"] == [
        {"names": ["public-*"], "privileges": ["read"], "allow_restricted_indices": False}
    ]
