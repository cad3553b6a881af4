"""Errors of the API as RFC 9457 problem documents (application/problem+json), in the
token owner's language, each naming the field it concerns when there is one."""

from flask import Response, json, request
from flask_babel import gettext as _

from app.api.schema import Problem

MEDIA_TYPE = "application/problem+json"


def _type(kind: str) -> str:
    return f"urn:sauro:problem:{kind}"


def _titles() -> dict[str, str]:
    return {
        "unauthorized": _("A valid API token is required"),
        "read-only-token": _("This token is read only"),
        "forbidden": _("Not allowed"),
        "not-found": _("Not found"),
        "validation": _("The request has invalid fields"),
        "rule": _("Cannot do this"),
        "conflict": _("Changed by someone else"),
        "rate-limited": _("Too many requests"),
        "busy": _("Busy, try again"),
        "bad-request": _("Bad request"),
        "method-not-allowed": _("Method not allowed"),
        "too-large": _("Request too large"),
        "server-error": _("Something went wrong"),
    }


def problem(status: int, kind: str, detail: str = "", errors: list[dict] | None = None,
            headers: dict | None = None) -> Response:
    """A problem document. `errors`: [{"field", "code", "detail"}] beside the fields."""
    body = {"type": _type(kind), "title": _titles().get(kind, kind), "status": status}
    if detail:
        body["detail"] = str(detail)
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def describe(p: Problem) -> str:
    """The message of one schema problem, in the reader's language."""
    if p.code == "required":
        return _("This field is required.")
    if p.code == "unknown":
        return _("Unknown field: it is not part of this request.")
    if p.code == "type":
        return _("Wrong type: expected %(type)s.", type=p.limit or "?")
    if p.code == "maxLength":
        return _("At most %(n)s characters.", n=p.limit)
    if p.code == "minimum":
        return _("At least %(n)s.", n=p.limit)
    if p.code == "maximum":
        return _("At most %(n)s.", n=p.limit)
    if p.code == "maxItems":
        return _("At most %(n)s items.", n=p.limit)
    if p.code == "enum":
        return _("One of: %(values)s.", values=", ".join(str(v) for v in p.limit))
    if p.code == "format" and p.limit == "date":
        return _("A date written YYYY-MM-DD.")
    return _("Invalid value.")


def invalid(problems: list[Problem]) -> Response:
    """422 with every problem beside its field."""
    return problem(422, "validation", _("Correct the fields listed in errors."),
                   [{"field": p.field or None, "code": p.code, "detail": describe(p)}
                    for p in problems])
