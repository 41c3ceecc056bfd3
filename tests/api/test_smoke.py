from tests.api.conftest import Env


def test_smoke(env: Env) -> None:
    c, h = env.client, env.headers
    assert c.get("/health").json() == {"status": "ok"}
    r = c.get("/ready")
    assert r.status_code == 200, r.text
    r = c.get("/users", headers=h["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 2
    r = c.get("/users", headers=h["partner"])
    assert r.json()["count"] == 1, r.text
    r = c.post("/foods", headers=h["steward"], json={"source_code": "x1", "name": "X"})
    assert r.status_code == 201, r.text
    r = c.get("/nope")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
