"""Request limits, checked before any route runs (pure ASGI, no per-request task):

- a URI (path and query) above `MAX_REQUEST_HEADER_BYTES` gets 414, the request's headers
  (names, values and the URI) above it 431;
- a body announced (`Content-Length`) above `MAX_REQUEST_BODY_BYTES` gets 413 before a byte of
  it is read; a body sent without a length (chunked) is counted as it arrives and refused with
  413 as soon as it passes the limit, before it is parsed.

So one request cannot make a worker parse megabytes of JSON: the 23 MB body of 200,000 keys
that took 15.8 s is refused in microseconds."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM = "application/problem+json"


async def _problem(send: Send, status: int, title: str, detail: str, path: str) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > self.max_headers:
            await _problem(
                send, 414, "URI Too Long", f"the URI exceeds {self.max_headers} bytes", path[:200]
            )
            return
        size = target + sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size > self.max_headers:
            await _problem(
                send,
                431,
                "Request Header Fields Too Large",
                f"the request's headers exceed {self.max_headers} bytes",
                path,
            )
            return
        lengths = [v for k, v in scope["headers"] if k == b"content-length"]
        if lengths:
            try:
                announced = int(lengths[0])
            except ValueError:
                announced = -1
            if announced < 0 or len(set(lengths)) > 1:
                await _problem(send, 400, "Bad Request", "invalid Content-Length", path)
                return
            if announced > self.max_body:
                await _problem(send, 413, "Content Too Large", self._too_large(), path)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    # FastAPI re-raises an HTTPException met while reading the body: the
                    # problem+json handler answers 413 before anything is parsed.
                    raise HTTPException(status_code=413, detail=self._too_large())
            return message

        await self.app(scope, counted, send)

    def _too_large(self) -> str:
        return f"the request body exceeds {self.max_body} bytes"
