"""What the OpenAPI document says beyond what FastAPI derives from the routes, written once for
every operation (so that no route has to repeat it):

- every error answer as `application/problem+json` (FastAPI writes `application/json`);
- 304 on the conditional GETs of `api.caching` (catalogues, analytics);
- the answers any operation can give whatever its route: 400 (a body that cannot be parsed,
  an invalid `Content-Length`), 413 (body too large), 414/431 (URI or headers too large),
  503 with `Retry-After` (database unavailable), and for authenticated operations 401/403;
- the bearer token as a plain HTTP `bearer` scheme beside the OAuth2 password flow (the same
  `Authorization` header; tools that do not speak OAuth2 see where the token goes);
- explicit links, so that a client (and schemathesis' stateful phase) can follow a created or
  listed row to the operations on it: `POST /users` -> `GET/PATCH/DELETE /users/{row_id}`,
  `GET /batches` -> `POST /batches/{batch_id}/approve`...

The problem responses themselves (codes and descriptions) are `api.errors`'."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import PROBLEM, RETRY_AFTER_S, error_descriptions

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Answers of the request limits and the error handlers, whatever the route.
EVERY_OPERATION = (400, 413, 414, 431, 503)
AUTHENTICATED = (401, 403)
PUBLIC_WITHOUT_DATABASE = frozenset({"/health"})
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "examples": [RETRY_AFTER_S]},
}


def _problem_response(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": error_descriptions()[code],
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code in (429, 503):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    return response


def _operations(spec: dict[str, Any]) -> Any:
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _problems(spec: dict[str, Any]) -> None:
    for path, _, op in _operations(spec):
        responses = op.setdefault("responses", {})
        for code, response in responses.items():
            content = response.get("content", {})
            if code.isdigit() and int(code) >= 400 and "application/json" in content:
                response["content"] = {PROBLEM: content.pop("application/json"), **content}
        codes = list(EVERY_OPERATION)
        if op.get("security"):
            codes += AUTHENTICATED
        if op.get("parameters") or op.get("requestBody"):
            codes.append(422)
        if path in PUBLIC_WITHOUT_DATABASE:
            codes.remove(503)
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = _problem_response(code)
            elif code in (429, 503) and PROBLEM in responses[str(code)].get("content", {}):
                responses[str(code)].setdefault("headers", {"Retry-After": RETRY_AFTER})
        if "429" in responses:
            responses["429"].setdefault("headers", {"Retry-After": RETRY_AFTER})
        op["responses"] = dict(sorted(responses.items(), key=lambda kv: kv[0]))


def conditional(path: str) -> bool:
    """The GETs `api.caching` answers with validators and 304: the catalogues and the
    analytics of the published data (not the quality reports)."""
    catalogue = path.split("/")[1] in ("foods", "recipes", "exercises")
    analytics = path.startswith("/analytics/") and not path.startswith("/analytics/quality")
    return catalogue or analytics


NOT_MODIFIED = {
    "description": "Not Modified: the copy the client validated (`If-None-Match`, or "
    "`If-Modified-Since`) is current; no body (api.caching).",
    "headers": {
        "ETag": {"description": "The dataset version's validator.", "schema": {"type": "string"}},
        "Last-Modified": {"description": "The version's time.", "schema": {"type": "string"}},
    },
}


def _not_modified(spec: dict[str, Any]) -> None:
    for path, method, op in _operations(spec):
        if method == "get" and conditional(path):
            op["responses"]["304"] = NOT_MODIFIED
            op["responses"] = dict(sorted(op["responses"].items(), key=lambda kv: kv[0]))


def _bearer(spec: dict[str, Any]) -> None:
    schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["Bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access token of `POST /auth/token` (the OAuth2 password flow), "
        "sent as `Authorization: Bearer <token>`.",
    }
    for _, _, op in _operations(spec):
        security = op.get("security")
        if security and not any("Bearer" in s for s in security):
            op["security"] = [*security, {"Bearer": []}]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_schema(spec: dict[str, Any], op: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for code in ("201", "200"):
        content = op.get("responses", {}).get(code, {}).get("content", {})
        if "application/json" in content:
            return code, _resolve(spec, content["application/json"].get("schema", {}))
    return None


def _pointer(spec: dict[str, Any], schema: dict[str, Any], field: str) -> str | None:
    """Where `field` of a row sits in an answer: the row itself, a page's first row
    (`data/0`) or a list's first row (`0`)."""
    if field in schema.get("properties", {}):
        return f"/{field}"
    data = schema.get("properties", {}).get("data") or {}
    for pointer, holder in (("/data/0", data), ("/0", schema)):
        items = _resolve(spec, holder.get("items", {})) if holder.get("type") == "array" else {}
        if field in items.get("properties", {}):
            return f"{pointer}/{field}"
    return None


def _links(spec: dict[str, Any]) -> None:
    """A link from each operation on a collection (create or list) to each operation on one
    of its rows (`{collection}/{param}` and the actions below it)."""
    paths = spec.get("paths", {})
    for path, item in paths.items():
        for target, target_item in paths.items():
            prefix = path.rstrip("/") + "/{"
            if not target.startswith(prefix):
                continue
            rest = target[len(prefix) :]
            parameter = rest.split("}", 1)[0]
            if "{" in rest.split("}", 1)[1]:
                continue  # a second parameter: no single source for both
            field = parameter if parameter in ("source",) else "id"
            for method in ("post", "get"):
                source = item.get(method)
                found = _json_schema(spec, source) if source else None
                if source is None or found is None:
                    continue
                code, schema = found
                pointer = _pointer(spec, schema, field)
                if pointer is None:
                    continue
                links = source["responses"][code].setdefault("links", {})
                for target_method, target_op in target_item.items():
                    if target_method not in METHODS:
                        continue
                    name = target_op.get("operationId", f"{target_method}{target}")
                    links[name] = {
                        "operationId": target_op["operationId"],
                        "parameters": {parameter: f"$response.body#{pointer}"},
                        "description": f"The {field} of the row answered, as `{parameter}` of "
                        f"{target_method.upper()} {target}.",
                    }


def _token_links(spec: dict[str, Any]) -> None:
    """Sign-in and refresh answer a refresh token: each links to the refresh that takes it."""
    paths = spec.get("paths", {})
    refresh = paths.get("/auth/refresh", {}).get("post")
    if refresh is None:
        return
    for path in ("/auth/token", "/auth/refresh"):
        answer = paths.get(path, {}).get("post", {}).get("responses", {}).get("200")
        if answer is not None:
            answer.setdefault("links", {})[refresh["operationId"]] = {
                "operationId": refresh["operationId"],
                "requestBody": {"refresh_token": "$response.body#/refresh_token"},
                "description": "Trade the refresh token answered for a new pair.",
            }


def _not_null(spec: dict[str, Any]) -> None:
    """A PATCH body's field may be left out, not set to null when its column cannot be null
    (the route refuses it, 422): the schema says so by leaving null out of the field's types."""
    from api.routers.resources import RESOURCES

    fields = {
        res.update.__name__: {
            c.name
            for c in res.model.__table__.c  # type: ignore[attr-defined]
            if not c.nullable
        }
        for res in RESOURCES
    }
    fields["AccountUpdate"] = {"password", "role", "is_active"}
    schemas = spec.get("components", {}).get("schemas", {})
    for name, columns in fields.items():
        properties = schemas.get(name, {}).get("properties", {})
        for column in columns & properties.keys():
            prop = properties[column]
            if "anyOf" not in prop:
                continue
            variants = [v for v in prop["anyOf"] if v.get("type") != "null"]
            del prop["anyOf"]
            if len(variants) == 1:
                prop.update(variants[0])
            else:
                prop["anyOf"] = variants
            prop.pop("default", None)
            prop["description"] = (
                prop.get("description", "") + " Leave it out to keep it; it cannot be null."
            ).strip()


def _key_patterns(node: Any) -> None:
    """Pydantic writes a dict whose keys have a pattern as `patternProperties`, which lets any
    other key through with any value; the API refuses such keys: `propertyNames` says so."""
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1:
            ((pattern, values),) = patterns.items()
            del node["patternProperties"]
            node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
            node["additionalProperties"] = values
        for value in node.values():
            _key_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _key_patterns(value)


def install(app: FastAPI) -> None:
    """Post-process the document FastAPI builds, once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            _problems(spec)
            _not_modified(spec)
            _bearer(spec)
            _not_null(spec)
            _key_patterns(spec.get("components", {}))
            _links(spec)
            _token_links(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
