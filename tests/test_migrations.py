"""`flask db upgrade` on an empty database gives exactly the schema of the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.extensions import db


def test_upgrade_matches_models(app):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_audit_log_is_append_only(app, world):
    from app.models import AuditLog

    assert db.session.query(AuditLog).count() > 0
    db.session.commit()
    for stmt in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        try:
            with db.engine.begin() as conn:
                conn.execute(text(stmt))
        except Exception as e:  # noqa: BLE001 - either dialect's error type
            assert "append-only" in str(e)
        else:
            raise AssertionError(f"{stmt} was accepted")
    db.session.expire_all()
    assert db.session.query(AuditLog).count() > 0
