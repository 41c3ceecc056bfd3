"""`healthai lab ...`: sign in for notebooks, see who you read as, list dataset versions,
write a snapshot again."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any


def add_cli(sub: Any) -> None:
    """Register `healthai lab` on the CLI's subparsers."""
    lab = sub.add_parser("lab", help="the data scientists' workspace: sign in, versions, snapshots")
    actions = lab.add_subparsers(dest="action", required=True)
    login = actions.add_parser(
        "login", help="sign in with your platform account for healthai.lab (kept on this machine)"
    )
    login.add_argument("--username", help="your account (asked when not given)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("logout", help="end the session `healthai lab login` kept")
    actions.add_parser("whoami", help="who healthai.lab reads as, and the latest version")
    actions.add_parser("versions", help="every dataset version: when and what made it")
    snap = actions.add_parser(
        "snapshot", help="write (when not stored) and check the snapshot of a dataset version"
    )
    snap.add_argument("--version", type=int, help="dataset version (default: the latest)")
    lab.set_defaults(func=run_cli)


def run_cli(args: argparse.Namespace) -> None:
    from healthai import access
    from healthai.db import get_engine, session_factory
    from healthai.lab import LabAccessDenied, connect, identity, snapshots
    from healthai.settings import get_settings

    settings = get_settings()
    url = settings.database_url
    with session_factory(get_engine(url))() as session:
        if args.action == "login":
            username = args.username or input("username: ")
            password = (
                sys.stdin.readline().rstrip("\n")
                if args.password_stdin
                else getpass.getpass("password: ")
            )
            try:
                who = identity.login(session, settings, url, username, password)
            except access.BadCredentials:
                raise SystemExit("wrong username or password") from None
            except access.RateLimited as exc:
                raise SystemExit(f"too many attempts: try again in {exc}") from None
            print(f"signed in as {who.username} ({who.role}) for {identity.credentials_path()}")
            return
        if args.action == "logout":
            done = identity.logout(session, settings, url)
            print("signed out" if done else "no session to end")
            return
    try:
        db = connect()
    except identity.NotSignedIn as exc:
        raise SystemExit(str(exc)) from None
    if args.action == "whoami":
        p = db.principal
        print(f"{p.username} ({p.role}), dataset version {db.version()}")
    elif args.action == "versions":
        print(db.versions().to_string(index=False))
    elif args.action == "snapshot":
        try:
            tables = db.snapshot(args.version)
        except LabAccessDenied as exc:
            raise SystemExit(str(exc)) from None
        version = next(iter(tables.values())).attrs["dataset_version"]
        info = snapshots.manifest(settings, version)
        print(json.dumps({k: info[k] for k in ("dataset_version", "made_at")}, default=str))
        print(snapshots.folder(settings, version))
