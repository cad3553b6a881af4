"""Schemathesis against /api/v1/openapi.json (issue 15): every operation, with cases made from
the document (valid and invalid), through the Flask app (WSGI). 0 server errors, every response
valid against the document (status, media type, body), every write refused without a token and
with a read-only token, and nothing written by a refused one.

Bounded for CI (`make test` runs it on SQLite and on PostgreSQL): SAURO_SCHEMATHESIS_EXAMPLES
cases per operation and mode (default 25), no deadline, derandomized (the same cases every run)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, ProgressUpdate
from tests.api.conftest import TODAY, make_token
from tests.conftest import issue_world_plans

EXAMPLES = int(os.environ.get("SAURO_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


@pytest.fixture
def schema(app):
    """The document as served, with the bearer scheme left out: the tests send the token
    themselves (a valid one, a read-only one, none, garbage), schemathesis does not make one
    up. The app is called in process (WSGI). No rate limit: hundreds of cases a minute
    would otherwise meet 429 (documented, so passing) instead of the code under test."""
    app.config["API_RATE_LIMIT"] = 0
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    doc.pop("security", None)
    for ops in doc["paths"].values():
        for op in ops.values():
            op.pop("security", None)
    loaded = schemathesis.openapi.from_dict(doc)
    loaded.app = app
    loaded.location = "/api/v1/openapi.json"
    return loaded


def _operations(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 15, [o.label for o in ops]
    return ops


def _is_write(op) -> bool:
    return op.method.upper() in {"POST", "PUT", "PATCH", "DELETE"}


def _real_ids(world) -> dict[str, list[int]]:
    """Ids that exist (and some the token's user may not see), so that cases reach the code
    behind the 404 as well as the 404."""
    return {"task_id": [world.task.id, world.task_b.id],
            "plan_id": [world.plan.id, world.plan_b.id], "step_id": [1], "ext_id": [1],
            "unit_id": [world.a.id, world.b.id], "user_id": [world.deputy.id, world.head_b.id],
            "run_id": [world.run, world.run]}


def _run(op, mode, headers, ids, checks, extra=None):
    strategy = op.as_strategy(generation_mode=mode)

    @SETTINGS
    @given(case=strategy, real=st.booleans(), pick=st.integers(0, 1))
    def run(case, real, pick):
        # Real ids in valid cases only: an invalid case's path stays invalid.
        if real and case.path_parameters and mode == schemathesis.GenerationMode.POSITIVE:
            for name in case.path_parameters:
                if name in ids:
                    case.path_parameters[name] = ids[name][pick % len(ids[name])]
        resp = case.call(headers=headers)
        case.validate_response(resp, checks=checks, headers=headers)
        if extra:
            extra(case, resp)

    run()


def test_every_operation_answers_as_documented(issued, schema):
    """Valid and invalid cases for each operation, by a head with a read-write token (the
    widest reader of the assessment and the one who may confirm and decide)."""
    headers = {"Authorization": f"Bearer {make_token(issued.head, name='schemathesis')}"}
    ids = _real_ids(issued)
    for op in _operations(schema):
        _run(op, schemathesis.GenerationMode.POSITIVE, headers, ids, CHECKS)
        if len(op.path_parameters) or len(op.query) or len(op.body):
            _run(op, schemathesis.GenerationMode.NEGATIVE, headers, ids,
                 [*CHECKS, negative_data_rejection])


def test_every_operation_answers_as_documented_for_staff(issued, schema):
    """The same for a staff member (the responsible person: reports, submits, asks)."""
    headers = {"Authorization": f"Bearer {make_token(issued.staff, name='schemathesis')}"}
    ids = _real_ids(issued)
    for op in _operations(schema):
        _run(op, schemathesis.GenerationMode.POSITIVE, headers, ids, CHECKS)


def _written() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(AuditLog.id))),
            db.session.scalar(select(func.count(ProgressUpdate.id))))


@pytest.mark.parametrize("who", ["none", "read_only", "garbage"])
def test_every_write_is_refused_without_a_write_token(issued, schema, who):
    secret = {"none": None, "garbage": "sr_not-a-token",
              "read_only": make_token(issued.head, name="ro", read_only=True)}[who]
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    want = 403 if who == "read_only" else 401
    ids = _real_ids(issued)
    writes = [op for op in _operations(schema) if _is_write(op)]
    assert len(writes) >= 8
    before = _written()

    def refused(case, resp):
        assert resp.status_code == want, (case.operation.label, resp.status_code, resp.text[:200])
        kind = "read-only-token" if want == 403 else "unauthorized"
        assert resp.headers["content-type"][0].startswith("application/problem+json")
        assert resp.json()["type"] == f"urn:sauro:problem:{kind}"

    for op in writes:
        _run(op, schemathesis.GenerationMode.POSITIVE, headers, ids, CHECKS, extra=refused)
    # A refused write writes nothing (a read-only token's refusal is not an audit row either).
    assert _written() == before


@pytest.fixture
def issued(world):
    """The world's plans issued and the year's assessment frozen (a run to read)."""
    from app.assessment import service as assessment
    from app.domain import scoring

    issue_world_plans(world)
    world.run = assessment.freeze(world.assessor.id, scoring.parse_period("2026"), TODAY,
                                  scoring.ScoringSettings(), today=TODAY).id
    db.session.commit()
    return world
