"""HTTP caching (api.caching): answers from the published data carry an ETag and Last-Modified
of the dataset version; a conditional GET whose copy is current is answered 304 with no body,
and the ETag changes exactly when the published data change: a publication, a rollback, an
API write, an erasure (a correction published: tests/test_aggregates_paths.py), not a read,
an audit or an approval. Cache-Control by audience: analytics private, catalogues public
(revalidated), personal data never stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from healthai.models import Source
from healthai.pipeline import batches
from tests.api.conftest import Env
from tests.write_helpers import publish_readings, published_user, stage_readings

PROGRESSION = "/analytics/users/progression"


def tag(env: Env, url: str, role: str = "analyst") -> str:
    r = env.client.get(url, headers=env.headers[role])
    assert r.status_code == 200, r.text
    return r.headers["etag"]


def current(env: Env, url: str, etag: str, role: str = "analyst") -> bool:
    """Whether the server says the copy with `etag` is current (304), checking the 304."""
    r = env.client.get(url, headers={**env.headers[role], "If-None-Match": etag})
    assert r.status_code in (200, 304), r.text
    if r.status_code == 304:
        assert r.content == b"" and r.headers["etag"] == etag
        return True
    assert r.headers["etag"] != etag
    return False


def test_validators_and_cache_control_by_audience(env: Env) -> None:
    c, h = env.client, env.headers["analyst"]
    write = c.patch(
        f"/foods/{env.ids['food']}", json={"protein_g": 0.3}, headers=env.headers["admin"]
    )
    assert write.status_code == 200  # a dataset version exists: Last-Modified is its time
    r = c.get(PROGRESSION, headers=h)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in r.headers["vary"] and r.headers["last-modified"]
    etag = r.headers["etag"]
    again = c.get(PROGRESSION, headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == "private, no-cache"
    weak = c.get(PROGRESSION, headers={**h, "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    since = c.get(PROGRESSION, headers={**h, "If-Modified-Since": r.headers["last-modified"]})
    assert since.status_code == 304
    assert c.get(PROGRESSION, headers={**h, "If-None-Match": '"v0-x"'}).status_code == 200
    # another scope (a partner sees its members only): another ETag for the same URL
    assert tag(env, PROGRESSION, "partner") != etag
    # a period is another URL (a cache keys on it); a credential is still required
    assert c.get(PROGRESSION, headers={"If-None-Match": etag}).status_code == 401

    foods = c.get("/foods", headers=h)
    assert foods.headers["cache-control"] == "public, no-cache" and foods.headers["etag"]
    food = c.get(f"/foods/{env.ids['food']}", headers=h)
    assert food.headers["etag"] == foods.headers["etag"]
    assert current(env, f"/foods/{env.ids['food']}", food.headers["etag"])

    personal = c.get("/metrics", headers=env.headers["admin"])
    assert personal.headers["cache-control"] == "no-store" and "etag" not in personal.headers
    one = c.get(f"/users/{env.ids['user_a']}", headers=env.headers["admin"])
    assert one.headers["cache-control"] == "no-store" and "etag" not in one.headers


def test_the_etag_changes_exactly_when_the_published_data_change(env: Env) -> None:
    c = env.client
    etag = tag(env, PROGRESSION)
    assert current(env, PROGRESSION, etag)
    c.get("/metrics", headers=env.headers["admin"])  # a read changes nothing
    assert current(env, PROGRESSION, etag)

    with env.session() as s:
        known = s.scalar(select(Source.id).where(Source.name == "write_test"))
        source = known or published_user(s, "etag:1")[0]
        s.commit()
    etag = tag(env, PROGRESSION)
    at = datetime(2025, 6, 1, 7, tzinfo=UTC)
    with env.session() as s:  # staged, audited, approved: not published yet
        staged = stage_readings(s, source, [("etag:1", at, {"weight_kg": 70.0})])
        batches.audit(s, staged, {})
        staged_id = staged.id
        batches.approve(s, staged_id, "steward")
        s.commit()
    assert current(env, PROGRESSION, etag)
    with env.session() as s:  # publication
        batches.publish(s, staged_id, "steward")
        s.commit()
    assert not current(env, PROGRESSION, etag)
    etag = tag(env, PROGRESSION)
    with env.session() as s:  # rollback
        batches.rollback(s, staged_id, "steward", "test")
        s.commit()
    assert not current(env, PROGRESSION, etag)

    etag, foods = tag(env, PROGRESSION), tag(env, "/foods")
    r = c.patch(f"/foods/{env.ids['food']}", json={"fat_g": 0.2}, headers=env.headers["admin"])
    assert r.status_code == 200, r.text  # an API write
    assert not current(env, PROGRESSION, etag) and not current(env, "/foods", foods)

    with env.session() as s:
        publish_readings(s, source, [("etag:1", at, {"weight_kg": 71.0})])
        s.commit()
    etag = tag(env, PROGRESSION)
    user = c.post("/users", json={"birth_year": 1990}, headers=env.headers["admin"]).json()["id"]
    etag = tag(env, PROGRESSION)
    assert c.delete(f"/users/{user}", headers=env.headers["admin"]).status_code == 204  # erasure
    assert not current(env, PROGRESSION, etag)
    assert current(env, PROGRESSION, tag(env, PROGRESSION))
