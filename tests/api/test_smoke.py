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


def test_smoke_more(env: Env) -> None:
    c, h = env.client, env.headers
    for path in [
        "/analytics/users/age-distribution",
        "/analytics/users/goals",
        "/analytics/users/progression",
        "/analytics/nutrition/trends",
        "/analytics/nutrition/reference-gaps",
        "/analytics/fitness/top-workouts",
        "/analytics/fitness/intensity",
        "/analytics/business/engagement",
        "/analytics/business/conversion",
        "/analytics/business/satisfaction",
        "/analytics/quality",
        "/exports/meal-logs?format=json",
        "/exports/users",
        "/batches",
        f"/batches/{env.batch_id}",
        "/quarantine",
    ]:
        r = c.get(path, headers=h["admin"])
        assert r.status_code == 200, (path, r.text)
        print(path, r.text[:300])
