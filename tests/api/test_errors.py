"""Errors are RFC 9457 problem documents with the right status; security headers; CORS."""

from __future__ import annotations

from tests.api.conftest import Env
from tests.api.helpers import assert_problem


def test_problem_documents(env: Env) -> None:
    c, h = env.client, env.headers["admin"]
    body = assert_problem(c.get("/no/such/route"), 404)
    assert body["instance"] == "/no/such/route"
    assert_problem(c.put("/foods", headers=h), 405)
    assert_problem(c.get("/foods/0", headers=h), 422)
    assert_problem(c.get("/foods/99999999999999999999", headers=h), 422)
    body = assert_problem(c.get("/foods", params={"limit": 0}, headers=h), 422)
    assert body["errors"][0]["loc"][-1] == "limit"
    assert_problem(
        c.post("/foods", content=b"{not json", headers={**h, "content-type": "application/json"}),
        422,
    )
    assert_problem(c.post("/foods", json={"source_code": "a\x00b", "name": "x"}, headers=h), 422)
    assert_problem(c.get("/foods", params={"name_contains": "a\x00"}, headers=h), 422)
    body = assert_problem(c.post("/batches/1/approve", headers=h), 409)  # published, not audited
    assert "cannot approve" in body["detail"]
    assert_problem(c.post("/batches/1/reject", json={"comment": ""}, headers=h), 422)


def test_security_headers_and_cors(env: Env) -> None:
    c = env.client
    r = c.get("/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    # problem responses carry them too
    denied = c.get("/metrics")
    assert denied.status_code == 401 and denied.headers["x-frame-options"] == "DENY"
    # the Swagger UI page loads its assets from this server only (tests/api/test_docs_pages.py),
    # and may be cached
    docs = c.get("/docs")
    assert docs.status_code == 200
    assert "http" not in docs.headers["content-security-policy"]
    assert "cache-control" not in docs.headers
    origin = env.settings.cors_origin_list[0]
    pre = c.options("/foods", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert pre.headers["access-control-allow-origin"] == origin
    pre = c.options(
        "/foods", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_health_and_readiness(env: Env) -> None:
    assert env.client.get("/health").json() == {"status": "ok"}
    r = env.client.get("/ready")
    assert r.status_code == 200 and r.json()["database"] is True
    assert r.json()["revision"] == r.json()["head"]
