"""The rate limit per token (API_RATE_LIMIT a minute): in the process, and shared through
Redis by every server of a deployment (issue 15). Redis runs on 127.0.0.1:6379 here and in CI
(TEST_REDIS_URL to point elsewhere); the Redis test skips only if it is unreachable."""

import os
import time

import pytest

from app import create_app
from app.api import ratelimit
from app.extensions import db
from config import TestConfig
from tests.api.conftest import TODAY, make_token

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LIMIT = 3


def _wait_for_a_fresh_window() -> None:
    """The window is a minute: start the counted requests well inside one."""
    if time.time() % ratelimit.WINDOW > ratelimit.WINDOW - 5:
        time.sleep(ratelimit.WINDOW - time.time() % ratelimit.WINDOW + 0.1)


def _get(app, secret):
    with app.test_client() as c:
        return c.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


# The count in the process (one server): tests/api/test_reads.py, the rate limit test.


@pytest.fixture
def redis_db():
    import redis

    r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        r.ping()
    except redis.RedisError as e:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({e})")
    yield r
    r.close()


def _server(app):
    """A second app of the same deployment: the same database, the same Redis."""
    other = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], TODAY=TODAY,
                       REDIS_URL=REDIS_URL, API_RATE_LIMIT=LIMIT)
    return other


def test_two_servers_share_one_count_through_redis(app, world, redis_db):
    from app.models import ApiToken

    secret = make_token(world.staff, name="LGSP")
    token_hash = db.session.query(ApiToken.token_hash).filter_by(name="LGSP").scalar()
    db.session.commit()  # no read transaction left open: the servers write (SQLite's lock)
    first, second = _server(app), _server(app)
    try:
        _wait_for_a_fresh_window()
        # Alternating between the two servers: the fourth request is refused, though each
        # server saw only two (a count per process would let 2 x LIMIT through).
        codes = [_get(first if i % 2 == 0 else second, secret).status_code
                 for i in range(LIMIT + 1)]
        assert codes == [200] * LIMIT + [429]
        assert _get(first, secret).status_code == 429
        assert _get(second, secret).status_code == 429
        # The count is in Redis under the token's hash (not its id: deployments may share
        # one Redis), expiring by itself.
        keys = redis_db.keys(f"sauro:api:t{token_hash[:32]}:*")
        assert len(keys) == 1 and int(redis_db.get(keys[0])) == LIMIT + 3
        assert 0 < redis_db.ttl(keys[0]) <= 2 * ratelimit.WINDOW
        # The process-local counter was not used.
        assert not ratelimit._LOCAL.counts
    finally:
        redis_db.delete(*redis_db.keys(f"sauro:api:t{token_hash[:32]}:*"))
        for server in (first, second):
            with server.app_context():
                db.engine.dispose()


def test_redis_down_falls_back_to_counting_in_the_process(app, world):
    """A deployment whose Redis is unreachable keeps answering (counted per process)."""
    secret = make_token(world.staff, name="LGSP")
    down = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], TODAY=TODAY,
                      REDIS_URL="redis://127.0.0.1:1/0", API_RATE_LIMIT=LIMIT)
    try:
        _wait_for_a_fresh_window()
        codes = [_get(down, secret).status_code for _ in range(LIMIT + 1)]
        assert codes == [200] * LIMIT + [429]
    finally:
        with down.app_context():
            db.engine.dispose()
