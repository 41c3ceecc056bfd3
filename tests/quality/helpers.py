"""Helpers for the quality tests: run a source's assets with its quality assets, and a local
HTTP server standing for the alert webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import dagster as dg

from assets.catch_up import CaughtUp, catch_up
from assets.quality import build_quality_assets
from assets.resources import Database
from healthai.sources import SOURCES


def materialize_with_quality(
    db_url: str, name: str, profile: bool = False, resources: dict[str, Any] | None = None
) -> CaughtUp:
    """The source's new files (one partition and run each), then its quality assets;
    `resources` replace the defaults (e.g. `alerts`: a local webhook)."""
    assets = build_quality_assets(SOURCES[name])
    keys = [
        k.to_user_string()
        for a in assets
        for k in a.keys
        if profile or not k.to_user_string().endswith("_profile")
    ]
    with dg.DagsterInstance.ephemeral() as instance:
        return catch_up(
            instance,
            [name],
            {"database": Database(url=db_url), **(resources or {})},
            after=assets,
            after_selection=keys,
        )


def check_results(result: CaughtUp) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@contextmanager
def webhook(status: int = 204) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server recording every JSON body POSTed to it."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A URL on which nothing listens."""
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    return f"http://127.0.0.1:{port}/hook"
