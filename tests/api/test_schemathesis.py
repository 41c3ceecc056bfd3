"""Schemathesis, every check and every phase (examples, coverage, fuzzing, stateful), against
a real server (`uvicorn api.main:app`) on a database of its own, seeded, on both engines:
0 failures.

Two passes, each pinned to one identity of a Web Fuzzing Commons auth file: a partner over
every read, with the other partner as its peer (`object_level_authorization` replays the first
partner's reads as the other and fails if the other gets the object), then an admin, the role
that reaches every route, over every operation and phase (but POST /auth/logout, which would
end the pass's own session). Generated calls change and delete the
seeded rows; PATCH /accounts/{account_id} always targets a sacrificial account, since
schemathesis reuses ids it reads in answers (GET /accounts lists the identities it runs as).

Bounded: `FUZZ_EXAMPLES` examples per operation and phase (environment variable
HEALTHAI_FUZZ_EXAMPLES, default below), a fixed seed. The exact command run is printed on
failure and written with the report (JUnit) into the test's temporary folder; docs/api.md says
how to rerun it by hand."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from healthai import migrate
from healthai.access import create_token
from healthai.models import ApiAccount, AppSession
from healthai.pipeline import aggregates
from healthai.settings import Settings
from tests.api.conftest import lineage, seed
from tests.conftest import ENGINES, _pg_available, fresh_database
from tests.security.live import PASSWORD_HASH, SECRETS, api_server, server_env

FUZZ_EXAMPLES = int(os.environ.get("HEALTHAI_FUZZ_EXAMPLES", "10"))
SEED = 20261206
PHASES = "examples,coverage,fuzzing,stateful"
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# (name, role, organisation key in the seed): least privileged first, the order tried
IDENTITIES = [
    ("fz-partner-a", "partner", "org_a"),
    ("fz-partner-b", "partner", "org_b"),
    ("fz-analyst", "analyst", None),
    ("fz-steward", "steward", None),
    ("fz-admin", "admin", None),
]
FIRST_ID = 1_900_000_001
# The account PATCH /accounts/{account_id} changes: always this one (schemathesis learns ids
# from answers, GET /accounts lists the identities, and it would disable or demote them).
TARGET = ("fz-target", "steward", None)
TARGET_ID = FIRST_ID + len(IDENTITIES)


# The seed gives both organisations' members the same facts; the second one's are changed so
# that the two partners' figures differ (equal figures look like one partner reading the
# other's to object_level_authorization).
DIFFERENT_FACTS = [
    "UPDATE satisfaction_surveys SET score = 4 WHERE user_id = :u",
    "UPDATE workout_sessions SET workout_type = 'cycling', intensity = 'low', duration_min = 50"
    " WHERE user_id = :u",
    "UPDATE meal_logs SET energy_kcal = energy_kcal + 150, protein_g = 12 WHERE user_id = :u",
    "UPDATE biometric_readings SET weight_kg = weight_kg * 1.25 WHERE user_id = :u",
]


def prepare(url: str) -> dict[str, int]:
    """Migrate, seed (tests.api.conftest.seed), add the fuzzer's accounts; their ids."""
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            ids = seed(session)
            for statement in DIFFERENT_FACTS:
                session.execute(text(statement), {"u": ids["user_b"]})
            later = datetime(2026, 1, 9, 20, tzinfo=UTC)
            session.add(
                AppSession(
                    user_id=ids["user_b"],
                    started_at=later,
                    duration_s=90,
                    platform="android",
                    **lineage(ids["batch"], "s-later"),
                )
            )
            for offset, (name, role, org) in enumerate([*IDENTITIES, TARGET]):
                session.execute(
                    insert(ApiAccount).values(
                        id=FIRST_ID + offset,
                        username=name,
                        password_hash=PASSWORD_HASH,
                        role=role,
                        organisation_id=ids[org] if org else None,
                        is_active=True,
                    )
                )
                ids[name] = FIRST_ID + offset
            session.flush()
            aggregates.rebuild(session)  # the facts changed above, the per-day rollups too
            session.commit()
        return ids
    finally:
        engine.dispose()


def auth_file(path: Path, ids: dict[str, int]) -> Path:
    """The Web Fuzzing Commons auth document: one bearer token per identity."""
    settings = Settings(
        database_url="sqlite://",
        jwt_secret=SECRETS["JWT_SECRET"],
        pseudonym_secret=SECRETS["PSEUDONYM_SECRET"],
        access_token_minutes=240,
    )
    entries = []
    for name, _, _ in IDENTITIES:
        token, _, _ = create_token(settings, ids[name], 0)
        header = {"name": "Authorization", "value": f"Bearer {token}"}
        entries.append({"name": name, "fixedHeaders": [header]})
    path.write_text(json.dumps({"schemaVersion": "1.0.0", "auth": entries}), encoding="utf-8")
    return path


CONFIG = """\
# schemathesis configuration of tests/api/test_schemathesis.py
seed = {seed}
continue-on-failure = true
request-timeout = 30

[auth.wfc]
path = "{auth}"
user = "{user}"
peers = ["fz-partner-a", "fz-partner-b"]

[generation]
max-examples = {examples}
database = "none"

[checks]
enabled = true

[phases.stateful]
max-steps = 12

[phases.stateful.generation]
max-examples = {scenarios}

[[operations]]
include-path = "/accounts/{{account_id}}"
parameters = {{ account_id = {target} }}

# The one rule JSON Schema cannot state (avg_hr_bpm <= max_hr_bpm, a CHECK between two
# columns), stated in the field's description instead: its 422 is what the description says.
[[operations]]
include-path-regex = "^/workout-sessions"
include-method = ["POST", "PATCH"]
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "401", "403", "404", "409", "422", "429", "5xx"
]
"""


# (identity the pass runs as, phases, extra arguments): the partner's reads first (tenant
# isolation: object_level_authorization replays them as the other partner), then everything
# as an admin, the role that reaches every route.
PASSES = [
    (
        "fz-partner-a",
        "examples,coverage,fuzzing",
        [
            "--include-method",
            "GET",
            # what a partner may read (the other reads are 403 for it)
            "--exclude-path-regex",  # one pattern: several filters exclude only together
            "^/(accounts|api-keys|batches|exports|quarantine|analytics/quality)",
        ],
    ),  # fmt: skip
    # every operation but the sign-out, which would end the pass's own session (every later
    # call a 401); it is tested directly (tests/api/test_auth.py, security finding 14)
    ("fz-admin", PHASES, ["--exclude-path", "/auth/logout"]),
]


def command(base: str, config: Path, report: Path, phases: str, extra: list[str]) -> list[str]:
    return [
        SCHEMATHESIS, "--no-color", "--config-file", str(config), "run",
        f"{base}/openapi.json",
        "--checks", "all",
        "--phases", phases,
        "--seed", str(SEED),
        "--generation-deterministic",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", str(report),
        "--wait-for-schema", "30",
        *extra,
    ]  # fmt: skip


@pytest.mark.parametrize("engine_name", ENGINES)
def test_api_conforms_to_its_schema(engine_name: str, tmp_path: Path) -> None:
    with fresh_database(engine_name, tmp_path, _pg_available()) as url:
        ids = prepare(url)
        env = server_env(
            url,
            tmp_path,
            ENVIRONMENT="test",
            ACCESS_TOKEN_MINUTES="240",
            LOGIN_RATE_LIMIT="5",
            LOGIN_ADDRESS_RATE_LIMIT="1000",
        )
        with api_server(env, tmp_path) as base:
            auth = auth_file(tmp_path / "auth.json", ids)
            runs = []
            for user, phases, extra in PASSES:
                config = tmp_path / f"schemathesis-{user}.toml"
                config.write_text(
                    CONFIG.format(
                        seed=SEED,
                        auth=auth,
                        user=user,
                        examples=FUZZ_EXAMPLES,
                        scenarios=6 * FUZZ_EXAMPLES,
                        target=TARGET_ID,
                    ),
                    encoding="utf-8",
                )
                argv = command(base, config, tmp_path / f"junit-{user}.xml", phases, extra)
                with (tmp_path / "command.txt").open("a", encoding="utf-8") as f:
                    f.write(shlex.join(argv) + "\n")
                run = subprocess.run(  # in tmp_path: schemathesis keeps a cache in its folder
                    argv, capture_output=True, text=True, timeout=1800, check=False, cwd=tmp_path
                )
                out = run.stdout + run.stderr
                (tmp_path / f"schemathesis-{user}.out").write_text(out, encoding="utf-8")
                runs.append((argv, run.returncode, out))
    failed = [(argv, out) for argv, code, out in runs if code != 0]
    assert not failed, "\n\n".join(f"{shlex.join(a)}\n\n{o[-40000:]}" for a, o in failed)
