"""`healthai` command: database, Dagster home, and serving the whole platform."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from healthai import migrate
from healthai.settings import PROJECT_ROOT, get_settings


def write_dagster_home() -> Path:
    """Write $DAGSTER_HOME/dagster.yaml: SQLite under var/ by default, PostgreSQL (its own
    database, never the application's: both use Alembic) when DAGSTER_PG_URL is set."""
    home = Path(os.environ.get("DAGSTER_HOME", get_settings().var_dir / "dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    flavour = "postgres" if os.environ.get("DAGSTER_PG_URL") else "sqlite"
    shutil.copyfile(
        PROJECT_ROOT / "deploy" / "dagster" / f"dagster.{flavour}.yaml", home / "dagster.yaml"
    )
    return home


def _db(args: argparse.Namespace) -> None:
    if args.action == "upgrade":
        migrate.upgrade(revision=args.revision or "head")
    elif args.action == "downgrade":
        migrate.downgrade(revision=args.revision or "base")
    elif args.action == "sql":
        for path in migrate.write_sql_scripts():
            print(path.relative_to(PROJECT_ROOT))


def api_command(host: str, port: int) -> list[str]:
    """uvicorn serving the API with `API_WORKERS` processes, as docker-compose.yml does; one
    on the embedded SQLite default, which admits one writer at a time (write transactions of
    several processes at once fail with "database is locked")."""
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    settings = get_settings()
    sqlite = settings.database_url.startswith("sqlite")
    workers = "1" if sqlite else str(settings.api_workers)
    return [
        uvicorn,
        "api.main:app",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        workers,
        # The client address is the peer's; X-Forwarded-For is read by the application, only
        # from TRUSTED_PROXIES (uvicorn would believe it from 127.0.0.1 by default).
        "--no-proxy-headers",
    ]


def _secrets(_args: argparse.Namespace) -> None:
    from healthai.access import ensure_secrets

    print(ensure_secrets())


def _serve(args: argparse.Namespace) -> None:
    from healthai.access import check_secrets, ensure_secrets

    ensure_secrets()
    get_settings.cache_clear()
    check_secrets(get_settings())  # fail here, clearly, rather than in each process
    home = write_dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    bin_dir = Path(sys.executable).parent
    commands = {
        "Dagster UI": [
            str(bin_dir / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            args.host,
            "-p",
            str(args.dagster_port),
        ],
        "Dagster daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        "API": api_command(args.host, args.api_port),
        "Web interface": [
            sys.executable,
            "-m",
            "dashboard.serve",
            "--address",
            args.host,
            "--port",
            str(args.dashboard_port),
        ],
    }
    procs = {
        name: subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env) for name, cmd in commands.items()
    }
    addresses = {
        "Dagster UI": f"http://{args.host}:{args.dagster_port}",
        "API": f"http://{args.host}:{args.api_port}/docs",
        "Web interface": f"http://{args.host}:{args.dashboard_port}/",
    }
    print("\nHealthAI Coach is starting (the first start takes a minute)...", flush=True)
    waiting = dict(addresses)
    deadline = time.monotonic() + 300
    while waiting and time.monotonic() < deadline:
        for name, url in list(waiting.items()):
            try:
                httpx.get(url, timeout=2, follow_redirects=True)
                del waiting[name]
            except httpx.HTTPError:
                pass
        if any(p.poll() is not None for p in procs.values()):
            break
        time.sleep(1)
    print("\nHealthAI Coach:")
    for name, url in addresses.items():
        state = "still starting" if name in waiting else "ready"
        print(f"  {name:<14} {url}   ({state})")
    accounts = get_settings().var_dir / DEMO_ACCOUNTS_FILE
    if accounts.exists():
        print(f"  Demo accounts  {accounts}")
    print("Ctrl-C stops everything.\n", flush=True)

    def stop(*_: object) -> None:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=20)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with code {proc.returncode}; stopping.", file=sys.stderr)
                stop()
        time.sleep(1)


def _create_admin(args: argparse.Namespace) -> None:
    """Create (or reset the password of) an admin account of the API."""
    import getpass

    from sqlalchemy import select

    from healthai.access import (
        MIN_PASSWORD_LENGTH,
        InvalidUsername,
        hash_password,
        normalise_username,
        revoke_tokens,
    )
    from healthai.db import session_scope
    from healthai.models import ApiAccount

    try:
        username = normalise_username(args.username)
    except InvalidUsername as exc:
        sys.exit(str(exc))
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            sys.exit("the passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        sys.exit(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with session_scope() as session:
        account = session.scalar(select(ApiAccount).where(ApiAccount.username == username))
        if account is not None and not args.reset:
            sys.exit(f"account {username!r} exists (use --reset to set a new password)")
        if account is None:
            account = ApiAccount(username=username, role="admin", is_active=True)
            session.add(account)
        account.password_hash = hash_password(password)
        account.role, account.organisation_id, account.is_active = "admin", None, True
        session.flush()
        revoke_tokens(session, account.id)  # a reset ends every session of the account
    print(f"admin {username!r} ready")


DEMO_ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_ROLES = ("admin", "steward", "analyst", "partner")


def _demo_accounts(_args: argparse.Namespace) -> None:
    """One account per role for the demo of `make run`, each with a random password written
    to var/demo-accounts.txt (git-ignored): no password is ever a default."""
    import secrets

    from sqlalchemy import select

    from healthai.access import hash_password
    from healthai.db import session_scope
    from healthai.models import ApiAccount, Organisation

    path = get_settings().var_dir / DEMO_ACCOUNTS_FILE
    lines: list[str] = []
    with session_scope() as session:
        partner_org = session.scalar(select(Organisation).order_by(Organisation.slug).limit(1))
        for role in DEMO_ROLES:
            username = f"demo-{role}"
            if session.scalar(select(ApiAccount.id).where(ApiAccount.username == username)):
                continue
            if role == "partner" and partner_org is None:
                continue
            password = secrets.token_urlsafe(12)
            session.add(
                ApiAccount(
                    username=username,
                    role=role,
                    is_active=True,
                    password_hash=hash_password(password),
                    organisation_id=partner_org.id if role == "partner" else None,
                )
            )
            org = f"  (organisation {partner_org.slug})" if role == "partner" else ""
            lines.append(f"{role:<8} {username:<14} {password}{org}")
    if lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write("\n".join(lines) + "\n")
        path.chmod(0o600)
    print(f"demo accounts (role, username, password) in {path}:")
    print(path.read_text() if path.exists() else "none")


def _openapi(args: argparse.Namespace) -> None:
    # The domain package does not import the API: the document is written by api.openapi.
    extra = ["--output", args.output] if args.output else []
    subprocess.run([sys.executable, "-m", "api.openapi", *extra], cwd=PROJECT_ROOT, check=True)


def _docs(_args: argparse.Namespace) -> None:
    from healthai import docs_gen

    for path in docs_gen.write_docs():
        print(path.relative_to(PROJECT_ROOT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="healthai", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="schema: upgrade, downgrade, or write migrations/sql/")
    db.add_argument("action", choices=["upgrade", "downgrade", "sql"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=_db)

    keys = sub.add_parser(
        "secrets", help="generate JWT_SECRET and PSEUDONYM_SECRET into var/secrets.env (once)"
    )
    keys.set_defaults(func=_secrets)

    home = sub.add_parser("dagster-home", help="write $DAGSTER_HOME/dagster.yaml")
    home.set_defaults(func=lambda _a: print(write_dagster_home()))

    serve = sub.add_parser("serve", help="serve the Dagster UI and daemon, the API, the web UI")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--api-port", type=int, default=8000)
    serve.add_argument("--dashboard-port", type=int, default=5006)
    serve.add_argument("--dagster-port", type=int, default=3000)
    serve.set_defaults(func=_serve)

    admin = sub.add_parser("create-admin", help="create the first admin account of the API")
    admin.add_argument("--username", default="admin")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    admin.add_argument("--reset", action="store_true", help="reset an existing account")
    admin.set_defaults(func=_create_admin)

    demo = sub.add_parser(
        "demo-accounts", help="one demo account per role, random passwords in var/ (make run)"
    )
    demo.set_defaults(func=_demo_accounts)

    oas = sub.add_parser("openapi", help="write the API's OpenAPI document (docs/openapi.json)")
    oas.add_argument("--output", help="another path")
    oas.set_defaults(func=_openapi)

    docs = sub.add_parser("docs", help="regenerate the generated documents (docs/data-model.md)")
    docs.set_defaults(func=_docs)

    from healthai.simulate import add_cli as add_simulate  # numpy/pandas: loaded on use

    add_simulate(sub)

    from healthai.lab.cli import add_cli as add_lab

    add_lab(sub)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
