"""Fixtures of the API tests: a token for a world user, and a client that sends it."""

from datetime import date

import pytest

from app.api import ratelimit
from app.api.openapi import document
from app.api.schema import validate
from app.extensions import db
from app.models import User
from app.tokens import service as tokens

TODAY = date(2026, 6, 15)


def make_token(user, name="LGSP", read_only=False, expires_on=None) -> str:
    """A token of `user` (committed); its secret."""
    new = tokens.create_token(None, db.session.get(User, user.id), name, read_only, expires_on,
                              TODAY)
    db.session.commit()
    return new.secret


class Api:
    """Calls /api/v1 with a bearer token and checks every 2xx body against the document."""

    def __init__(self, client, secret: str | None):
        self.client, self.secret = client, secret

    def _headers(self, headers=None):
        h = dict(headers or {})
        if self.secret:
            h["Authorization"] = f"Bearer {self.secret}"
        return h

    def get(self, path, **kw):
        resp = self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)),
                               **kw)
        check_schema("get", path, resp)
        return resp

    def post(self, path, json=None, headers=None, **kw):
        resp = self.client.post("/api/v1" + path, json=json, headers=self._headers(headers), **kw)
        check_schema("post", path, resp)
        return resp


_DOC = {}


def _doc():
    if not _DOC:
        _DOC.update(document())
    return _DOC


def _operation(method: str, path: str):
    import re

    bare = path.split("?")[0]
    for template, ops in _doc()["paths"].items():
        pattern = "^" + re.sub(r"\{\w+\}", r"\\d+", template[len("/api/v1"):]) + "$"
        if re.match(pattern, bare) and method in ops:
            return ops[method]
    return None


def check_schema(method: str, path: str, resp) -> None:
    """A response must be what the document says: its documented status, and for a success
    a body valid against its schema; a problem document for an error."""
    op = _operation(method, path)
    if op is None:
        return
    assert str(resp.status_code) in op["responses"], (method, path, resp.status_code,
                                                       resp.get_data(as_text=True)[:300])
    from app.api.schema import COMPONENTS

    COMPONENTS.setdefault("Problem", _doc()["components"]["schemas"]["Problem"])
    content = op["responses"][str(resp.status_code)].get("content")
    if not content:
        return
    media, spec = next(iter(content.items()))
    assert resp.mimetype == media, (resp.mimetype, media)
    problems = validate(spec["schema"], resp.get_json())
    assert not problems, (method, path, problems[:5])


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def api(client):
    """api(user, **token options) -> an Api client with a new token of that user."""
    count = iter(range(1, 10**6))

    def _api(user, **kw):
        kw.setdefault("name", f"Token {next(count)}")
        return Api(client, make_token(user, **kw))
    return _api
