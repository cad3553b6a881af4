"""The OpenAPI 3.1 document, made from the route table (app/api/routes.py: `endpoint`) and
the schemas (app/api/resources.py): nothing about an operation is written twice."""

import re

from app.api import routes  # noqa: F401 - importing it fills the route table
from app.api.schema import COMPONENTS, ENDPOINTS, ref

PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object",
            "properties": {"field": {"type": ["string", "null"]}, "code": {"type": "string"},
                           "detail": {"type": "string"}},
            "required": ["field", "code", "detail"]}},
    },
    "required": ["type", "title", "status"],
}

_ERRORS = {
    400: "The request could not be read (not JSON, not a form).",
    401: "No token, or a token unknown, revoked, expired or of a disabled account.",
    403: "Not allowed: the token's user may not do this, or the token is read only.",
    404: "Not there, or outside the token's user's scope (both answer alike).",
    409: "Someone else changed it at the same time.",
    413: "The body is larger than the server accepts.",
    415: "The body is not application/json.",
    422: "A field is invalid or a rule refuses it: `errors` lists each, beside its field.",
    429: "Too many requests with this token: wait Retry-After seconds.",
    503: "The database was busy; nothing was written: send it again.",
}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m: re.Match) -> str:
        params.append({"name": m.group(2), "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1}})
        return "{" + m.group(2) + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": ref("Problem")}}}


def document() -> dict:
    """The whole document (a fresh dict each time: callers may change it)."""
    paths: dict = {}
    for ep in ENDPOINTS:
        path, params = _path(ep.rule)
        op: dict = {"operationId": ep.name, "summary": ep.summary, "tags": [ep.tag]}
        if ep.description:
            op["description"] = ep.description
        params += [{"name": p.name, "in": "query", "required": False, "schema": p.schema,
                    **({"description": p.description} if p.description else {})}
                   for p in ep.params]
        if params:
            op["parameters"] = params
        if ep.body is not None:
            content = {"application/json": {"schema": ep.body}}
            if ep.multipart is not None:
                content["multipart/form-data"] = {
                    "schema": ep.multipart,
                    "encoding": {"files": {"contentType": "application/octet-stream"}}}
            op["requestBody"] = {"required": True, "content": content}
        ok: dict = {"description": "OK"}
        if ep.response is not None:
            ok["content"] = {"application/json": {"schema": ep.response}}
        op["responses"] = {str(ep.status): ok}
        if ep.public:
            op["security"] = []
        else:
            codes = {401, 422, 429, *ep.errors}
            if ep.write:
                codes |= {400, 403, 409, 413, 415, 422, 503}
            for code in sorted(codes):
                op["responses"][str(code)] = _problem(_ERRORS[code])
        paths.setdefault("/api/v1" + path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Sáu Rõ API",
            "version": "1",
            "description": (
                "Plans, tasks and the six clears for government units (docs/api.md). A token "
                "acts as its user and sees exactly what that user sees; every write goes "
                "through the same rules as the pages. Errors are RFC 9457 problem documents "
                "in the token owner's language."),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal access token "
                                               "(page API tokens, or flask tokens create)."}},
            "schemas": {**COMPONENTS, "Problem": PROBLEM},
        },
    }
