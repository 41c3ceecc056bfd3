"""Finding 2 (#14): a pseudonymised export cannot be linked back to the people it is about.

The attacker holds a pseudonymised export (the API's `/exports/...` as an analyst, the web
interface's download, or the consolidated dataset for data scientists) and identifying data
of the platform: real row ids (in URLs, access logs, identified exports of other tables),
natural keys, the raw files' line numbers and fingerprints, batch ids, the times rows were
written. The test tries every join of every exported column with every one of those
identifiers, then the order of the rows, and must re-identify nobody; it knows the truth
because it holds the pseudonym secret. Quasi-identifiers inside the data itself (birth year,
sex, height) are not in scope: their generalisation is a to-do of docs/privacy.md.

Before the fix: `users.source_record` equalled the real id and line number, fact exports kept
their real `id`, `batch_id` and `source_sha256` stayed, rows came in real-id order, and a
`user_id` filter gave the pseudonym of any real id."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from healthai.access import create_token
from healthai.db import get_engine
from healthai.models import ApiAccount, Batch
from healthai.models import table as model_table
from healthai.pipeline import batches, consolidated
from healthai.settings import get_settings
from tests.api.conftest import Env, make_env
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for

# The person-related exports and the table each one reads.
EXPORTS = {
    "users": "users",
    "workout-sessions": "workout_sessions",
    "metrics": "biometric_measurements",
    "meal-logs": "meal_logs",
}
# the consolidated dataset holds the stored tables: the readings behind the measurements view
CONSOLIDATED = {t: t for t in EXPORTS.values()} | {"biometric_measurements": "biometric_readings"}
IDENTIFIERS = (
    "id",
    "reading_id",
    "record",
    "external_key",
    "source_record",
    "source_sha256",
    "batch_id",
    "created_at",
)


def _mac(settings, domain: str, value: int) -> str:  # noqa: ANN001
    """The pseudonym the platform promises (HMAC-SHA256 of `<domain>:<id>`, 16 hex), computed
    here with the secret the attacker does not have."""
    message = f"{domain}:{value}".encode()
    return hmac.new(settings.pseudonym_secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def _norm(value: Any) -> str | None:
    """One spelling per value, so that 7, 7.0, "7" and a timestamp's ISO forms join."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text).astimezone(UTC).isoformat()
        except ValueError:
            return text
    return str(int(number)) if number.is_integer() else text


def _owner(table: str, row: dict[str, Any]) -> int:
    return row["id"] if table == "users" else row["user_id"]


Index = dict[tuple[str, str], dict[str, set[int]]]


def _identified(session) -> tuple[Index, dict[str, list[dict]]]:  # noqa: ANN001
    """For every identifier column of the identified data: its values -> the people each
    belongs to."""
    index: Index = defaultdict(lambda: defaultdict(set))
    rows: dict[str, list[dict]] = {}
    for table in {*EXPORTS.values(), *CONSOLIDATED.values()}:
        rows[table] = [dict(r) for r in session.execute(select(model_table(table))).mappings()]
        for row in rows[table]:
            for column in IDENTIFIERS:
                key = _norm(row.get(column))
                if key is not None:
                    index[table, column][key].add(_owner(table, row))
    return index, rows


def _attack(
    label: str, table: str, records: list[dict], index: Index, rows: dict, settings
) -> list[str]:  # noqa: ANN001
    """Joins and order correlation that re-identify more than chance would: their names."""
    assert records, f"{label}: empty export"
    people = {_mac(settings, "user", r["id"]): r["id"] for r in rows["users"]}
    facts = {_mac(settings, table, r["id"]): r["id"] for r in rows[table]}

    def truth(record: dict) -> tuple[int, int]:
        """(the person, the real row id) of an exported record, known through the secret."""
        user = record["id"] if table == "users" else record["user_id"]
        person = people.get(str(user)) or int(user)
        real_id = person if table == "users" else facts.get(str(record["id"])) or int(record["id"])
        return person, real_id

    found = []
    owners = [truth(r) for r in records]
    for column in records[0]:
        values = [_norm(record[column]) for record in records]
        for (other, key), people_of in index.items():
            hits = sum(
                1
                for value, (person, _) in zip(values, owners, strict=True)
                if people_of.get(value) == {person}
            )
            if hits > max(2, len(records) // 100):
                found.append(
                    f"{label}: joining `{column}` with {other}.{key} re-identifies "
                    f"{hits}/{len(records)} rows"
                )
    order = pd.Series([real for _, real in owners], dtype=float)
    rho = order.corr(pd.Series(range(len(order)), dtype=float), method="spearman")
    if len(order) > 50 and abs(rho) > 0.2:
        found.append(f"{label}: row order follows the real ids (Spearman {rho:.2f})")
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_pseudonymised_exports_cannot_be_linked_back(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEUDONYM_SECRET", secrets.token_urlsafe(32))
    monkeypatch.setenv("JWT_SECRET", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    settings = get_settings()
    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        batch_id = session.scalar(select(Batch.id))
        batches.approve(session, batch_id, "steward@test")
        batches.publish(session, batch_id, "steward@test")
        for name, role in (("analyst", "analyst"), ("admin", "admin")):
            session.add(ApiAccount(username=name, password_hash="x", role=role))
    with session_for(platform) as session:
        accounts = {a.username: a for a in session.scalars(select(ApiAccount))}
    headers = {
        name: {"Authorization": f"Bearer {create_token(settings, a.id, a.token_version)[0]}"}
        for name, a in accounts.items()
    }
    client = TestClient(create_app(settings, get_engine(platform)))
    # people and facts written through the API too (their lineage names the caller and time)
    for year in (1971, 1984, 1993):
        made = client.post("/users", json={"birth_year": year}, headers=headers["admin"])
        assert made.status_code == 201, made.text
        meal = {
            "user_id": made.json()["id"],
            "eaten_on": "2026-01-15",
            "meal_type": "lunch",
            "energy_kcal": 420 + year,
        }
        assert client.post("/meal-logs", json=meal, headers=headers["admin"]).status_code == 201

    with session_for(platform) as session:
        index, rows = _identified(session)
    assert len(rows["users"]) > 900

    outputs: dict[str, list[dict]] = {}
    for path, table in EXPORTS.items():
        for sort in (None, "id", "-id", "user_id"):
            params = {"format": "json"} | ({"sort": sort} if sort else {})
            r = client.get(f"/exports/{path}", params=params, headers=headers["analyst"])
            if r.status_code == 422:  # this export has no such sort
                continue
            assert r.status_code == 200, r.text
            outputs[f"API /exports/{path} sort={sort} ({table})"] = r.json()
        csv_rows = list(
            csv.DictReader(
                io.StringIO(client.get(f"/exports/{path}", headers=headers["analyst"]).text)
            )
        )
        outputs[f"API /exports/{path} as CSV ({table})"] = csv_rows

    from dashboard.downloads import export_chunks, export_tables

    models = export_tables()
    with session_for(platform) as session:
        for path, table in EXPORTS.items():
            body = "".join(export_chunks(session, models[path], None, 100_000, "json"))
            outputs[f"web download {path} ({table})"] = json.loads(body)
        folder = tmp_path / "consolidated"
        consolidated.export(session, folder, settings)
    for table in CONSOLIDATED.values():
        outputs[f"consolidated {table}.json ({table})"] = json.loads(
            (folder / f"{table}.json").read_text()
        )

    found = []
    for label, records in outputs.items():
        table = label.rsplit("(", 1)[1].rstrip(")")
        found += _attack(label, table, records, index, rows, settings)
    assert not found, "\n".join(found)


@pytest.fixture(scope="module", params=ENGINES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    with make_env(request.param, tmp_path_factory.mktemp("reident")) as env:
        yield env


def test_real_user_id_filter_does_not_reveal_its_pseudonym(api: Env) -> None:
    """An analyst asking `/exports/metrics?user_id=7` would learn the pseudonym of person 7,
    and by asking for every id, reverse them all: refused (403); an admin, who may export
    identified data anyway, may."""
    uid = api.ids["user_a"]
    for path in ("meal-logs", "metrics", "workout-sessions"):
        for role, status in (("analyst", 403), ("api_key", 403), ("steward", 403), ("admin", 200)):
            r = api.client.get(
                f"/exports/{path}", params={"user_id": uid}, headers=api.headers[role]
            )
            assert r.status_code == status, (path, role, r.text)


def test_batch_samples_show_people_only_to_who_may_read_them(api: Env) -> None:
    """An analyst may read batches (`batches:read`) but not people's rows: the sample rows of a
    batch would give it real ids, natural keys and values to match against its pseudonymised
    exports. Before the fix, `GET /batches/{id}?sample=50` returned them."""
    with api.session() as s:
        batch = s.get(Batch, api.batch_id)
        batch.rows_by_table = {"users": 2, "meal_logs": 4, "foods": 1}
        s.commit()
    seen = {}
    for role in ("analyst", "api_key", "steward"):
        r = api.client.get(
            f"/batches/{api.batch_id}", params={"sample": 50}, headers=api.headers[role]
        )
        assert r.status_code == 200, r.text
        seen[role] = set(r.json()["samples"])
    assert seen["analyst"] == seen["api_key"] == {"foods"}
    assert seen["steward"] == {"users", "meal_logs", "foods"}
