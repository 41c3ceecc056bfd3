"""Finding 1 (high): the public default secrets forged an admin token and reversed every
export pseudonym. Now no secret has a usable default: `make run` generates them into a
git-ignored file under var/, and the API and the web interface refuse to start, in every
environment, with a missing, short or published secret."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from healthai.settings import Settings
from tests.security.live import ROOT, SECRETS, free_port

PUBLISHED = "dev-only-insecure-secret-change-me"  # the former default, in git history
GOOD = "g" * 48


@pytest.fixture
def no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An environment with no secret set anywhere (a fresh clone before `make run`)."""
    for name in ("JWT_SECRET", "PSEUDONYM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)  # no .env
    return tmp_path


@pytest.mark.parametrize("environment", ["development", "test", "production"])
@pytest.mark.parametrize(
    "jwt_secret",
    [None, "", PUBLISHED, "change-me", "short-secret"],
    ids=["unset", "empty", "published-default", "placeholder", "short"],
)
def test_the_api_refuses_to_start_without_a_usable_secret(
    no_secrets: Path, environment: str, jwt_secret: str | None
) -> None:
    values = {"database_url": "sqlite://", "environment": environment, "pseudonym_secret": GOOD}
    if jwt_secret is not None:
        values["jwt_secret"] = jwt_secret
    with pytest.raises(Exception, match="JWT_SECRET"):
        create_app(Settings(**values))


def test_the_same_secret_for_both_uses_is_refused(no_secrets: Path) -> None:
    with pytest.raises(Exception, match="same"):
        create_app(Settings(database_url="sqlite://", jwt_secret=GOOD, pseudonym_secret=GOOD))


def _exits(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_uvicorn_and_the_web_interface_do_not_start_without_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update(VAR_DIR=str(tmp_path / "var"), DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    port = str(free_port())
    api = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", port]
    web = [sys.executable, "-m", "dashboard.serve", "--port", port]
    for command in (api, web):
        try:
            done = _exits(command, env)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{command[2]} started without secrets")
        assert done.returncode != 0
        assert "JWT_SECRET" in done.stdout + done.stderr, done.stderr[-2000:]


def test_make_run_generates_private_secrets_that_a_forged_token_cannot_match(
    no_secrets: Path,
) -> None:
    from healthai import cli

    var = no_secrets / "var"
    cli.main(["secrets"])  # what `make run` runs first
    path = var / "secrets.env"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    cli.main(["secrets"])
    assert path.read_text() == first  # never regenerated: tokens and pseudonyms stay valid

    settings = Settings(database_url="sqlite://")
    assert settings.jwt_secret and settings.jwt_secret != PUBLISHED
    assert len(settings.jwt_secret) >= 32 and settings.pseudonym_secret != settings.jwt_secret
    app = create_app(settings)
    now = int(time.time())
    forged = jwt.encode(
        {"sub": "1", "type": "access", "jti": "x", "ver": 0, "iat": now, "exp": now + 600},
        PUBLISHED,
        algorithm="HS256",
    )
    with TestClient(app) as client:
        r = client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


def test_the_generated_file_is_git_ignored_and_the_environment_wins(
    no_secrets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/secrets.env"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
    var = no_secrets / "var"
    var.mkdir()
    (var / "secrets.env").write_text(f"JWT_SECRET={'f' * 40}\nPSEUDONYM_SECRET={'p' * 40}\n")
    monkeypatch.setenv("JWT_SECRET", "e" * 40)
    settings = Settings(database_url="sqlite://")
    assert settings.jwt_secret == "e" * 40 and settings.pseudonym_secret == "p" * 40
