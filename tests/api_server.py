"""A local stand-in for the ExerciseDB REST API (127.0.0.1 only), built at test time from the
reference dataset, speaking both paging shapes and failing on demand."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class ApiState:
    records: list[dict[str, Any]]
    shape: str = "offset"  # offset | cursor
    max_limit: int = 100
    # responses to inject before the real ones: (status, headers) consumed one per request
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, path: str, query: dict[str, list[str]], base: str) -> dict[str, Any]:
        limit = min(int(query.get("limit", ["10"])[0]), self.max_limit)
        total = len(self.records)
        if self.shape == "cursor":
            after = query.get("after", [None])[0]
            start = 0
            if after is not None:
                ids = [r["exerciseId"] for r in self.records]
                start = ids.index(after) + 1
            data = self.records[start : start + limit]
            more = start + limit < total
            return {
                "success": True,
                "meta": {
                    "total": total,
                    "hasNextPage": more,
                    "hasPreviousPage": start > 0,
                    "nextCursor": data[-1]["exerciseId"] if more and data else None,
                },
                "data": data,
            }
        offset = int(query.get("offset", ["0"])[0])
        data = self.records[offset : offset + limit]
        pages = -(-total // limit)
        current = offset // limit + 1
        nxt = offset + limit
        return {
            "success": True,
            "metadata": {
                "totalExercises": total,
                "totalPages": pages,
                "currentPage": current,
                "previousPage": (
                    f"{base}{path}?offset={max(0, offset - limit)}&limit={limit}"
                    if offset > 0
                    else None
                ),
                "nextPage": f"{base}{path}?offset={nxt}&limit={limit}" if nxt < total else None,
            },
            "data": data,
        }


def _handler(state: ApiState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            with state.lock:
                state.requests.append(self.path)
                failure = state.failures.pop(0) if state.failures else None
            if failure is not None:
                status, headers = failure
                self._send(status, {"success": False, "error": "injected"}, headers)
                return
            if url.path.rstrip("/") != "/api/v1/exercises":
                self._send(404, {"success": False, "error": "not found"})
                return
            base = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
            self._send(200, state.page(url.path, parse_qs(url.query), base))

    return Handler


@contextmanager
def serve_api(state: ApiState) -> Iterator[str]:
    """Serve `state` on a free port of 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the network is 'down')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
