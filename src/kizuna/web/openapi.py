"""The OpenAPI document of /api/v1, with every error answer the server gives, written once here.

FastAPI documents what a route returns on success and a 422 of its own shape. Kizuna's
routes answer errors in one shape (`kizuna.web.errors`), and more of them:

    400  routes that take a body: it is not JSON in UTF-8
    401  every route: no X-API-Key, or one that is wrong, revoked or expired
    403  every route: the key's role or scopes do not hold the route's permission
    404  routes with parameters or a body: a record they name is not in the key's workspace
    413  POST, PUT, PATCH and DELETE: the body is over the limit (`kizuna.web.limits`)
    422  routes with parameters or a body: what is not valid, field by field

`document_errors` adds them to every /api/v1 operation from what the operation shows (its
parameters, its body, its method). A route names the codes that its shape does not show in
its own `responses=` (409 on a stale version or a name in use, 404 for something not
computed yet), with a description only: the body is always `ErrorBody`. Integer bounds are
written back as the integers they are, and every integer is bounded to 64 bits (see
`_bound_integers`). Nothing here changes what a route does; only what the document says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from kizuna.web.api import API_PREFIX

__all__ = ["ErrorBody", "ErrorPublic", "FieldProblem", "document_errors", "install_openapi"]


class FieldProblem(BaseModel):
    """One field that is not valid: where it is, why, and the kind of problem."""

    loc: list[str] = Field(examples=[["body", "name"]])
    msg: str
    type: str = Field(examples=["string_too_short"])


class ErrorPublic(BaseModel):
    code: str = Field(
        examples=["not_found"], description="Stable, for programs (not_found, conflict, ...)."
    )
    message: str = Field(
        description="For people, in the language of Accept-Language (ja or en), with what to "
        "do next."
    )
    details: dict[str, Any] | list[FieldProblem] = Field(
        description="The fields that are not valid (422 invalid_input), or facts about the error."
    )


class ErrorBody(BaseModel):
    """Every error of the API, in one shape."""

    error: ErrorPublic


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
INT64_MAX = 2**63 - 1

_DESCRIPTIONS = {
    "400": "The body cannot be read as JSON in UTF-8 (malformed_body).",
    "401": "No X-API-Key header, or a key that is wrong, revoked or expired (unauthenticated).",
    "403": "The key's role or scopes do not allow this (forbidden).",
    "404": "A record the request names is not in the key's workspace (not_found).",
    "409": "The request conflicts with the record's current state (conflict).",
    "413": "The body is over the size limit (payload_too_large); split it, or use `kizuna import`.",
    "422": "The request is not valid: `details` names each field (invalid_input), or a value "
    "is out of range (out_of_range).",
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with: an API key.",
        "required": True,
        "schema": {"type": "string", "enum": ["APIKey"]},
    }
}


def _codes_of(operation: dict[str, Any], method: str) -> set[str]:
    """The error codes the operation's shape shows it can answer."""
    codes = {"401", "403"}
    places = {p.get("in") for p in operation.get("parameters", [])}
    if places - {"header", "cookie"} or "requestBody" in operation:
        codes.update(("404", "422"))
    if "requestBody" in operation:
        codes.add("400")
    if method in ("post", "put", "patch", "delete"):
        codes.add("413")
    return codes


def _exact_bound(value: float) -> int:
    if abs(value) < 2**53:
        return int(value)
    # Past 2**53 the float is 2**63 rounded from this code's 64-bit limits (2**63 - 1, -2**63).
    return INT64_MAX if value > 0 else -INT64_MAX - 1


def _bound_integers(node: Any) -> None:
    """Integer bounds as integers, and every integer bounded to 64 bits.

    FastAPI's OpenAPI model keeps bounds as floats, so `le=2**63 - 1` was documented as
    9.223372036854776e18 (2**63, one past it) and `ge=1` as 1.0. And every integer the API
    takes is stored or compared in 64 bits: the value guard (`kizuna.db.guard`) refuses a
    larger one with 422, so the document says so where a route set no bound of its own.
    """
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
                if isinstance(node.get(key), float):
                    node[key] = _exact_bound(node[key])
            if "maximum" not in node and "exclusiveMaximum" not in node:
                node["maximum"] = INT64_MAX
            if "minimum" not in node and "exclusiveMinimum" not in node:
                node["minimum"] = -INT64_MAX - 1
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every /api/v1 operation's error answers, in `ErrorBody`'s shape."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for path, item in document.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            named = {code for code in responses if code.startswith("4")}
            for code in sorted(_codes_of(operation, method) | named):
                answer = responses.get(code, {})
                described = answer.get("description")
                if not described or described == "Validation Error":
                    described = _DESCRIPTIONS.get(code, "An error.")
                responses[code] = {
                    "description": described,
                    "content": {"application/json": {"schema": ERROR_REF}},
                    **({"headers": _WWW_AUTHENTICATE} if code == "401" else {}),
                }
    _bound_integers(document)
    # FastAPI's own 422 shapes are never answered: the error handler answers ErrorBody.
    text = repr(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            schemas.pop(unused, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve FastAPI's document with `document_errors` applied, built once on first request."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
