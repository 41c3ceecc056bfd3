"""docs/openapi.json is the app's current document (regenerate: `make openapi`), and every
operation is documented: summary, responses with problem details, security."""

from __future__ import annotations

import json

from api import openapi


def test_openapi_file_is_current() -> None:
    assert openapi.OPENAPI_PATH.exists(), "docs/openapi.json missing: run `make openapi`"
    assert openapi.OPENAPI_PATH.read_text(encoding="utf-8") == openapi.render(), (
        "docs/openapi.json is stale: run `make openapi`"
    )


def test_every_operation_is_documented() -> None:
    spec = json.loads(openapi.render())
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) == {"OAuth2Password", "Bearer", "ApiKey"}
    assert "batches:decide" in schemes["OAuth2Password"]["flows"]["password"]["scopes"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert (
                "200" in op["responses"] or "201" in op["responses"] or "204" in op["responses"]
            ), where
            errors = {c: r for c, r in op["responses"].items() if c.isdigit() and int(c) >= 400}
            if path not in ("/health", "/ready"):
                assert "401" in errors and ("422" in errors or not op.get("parameters")), where
            for code, response in errors.items():
                if code != "503":
                    assert list(response["content"]) == ["application/problem+json"], where
