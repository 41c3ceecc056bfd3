"""Small helpers of the API tests."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def uid() -> str:
    return uuid.uuid4().hex[:10]


def assert_problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["title"]
    return body
