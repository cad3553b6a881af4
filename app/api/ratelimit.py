"""Requests per token and minute: in Redis when REDIS_URL is set (shared by every worker
and server, as the login throttle in app/directory/users.py), else in this process."""

import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

WINDOW = 60


class _Local:
    """A fixed one-minute window per key, in this process (one server, one worker: the
    development server and the tests; several workers each count their own share)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, now: float) -> int:
        window = int(now) // WINDOW
        with self.lock:
            if len(self.counts) > 10000:  # old windows of tokens not seen since
                self.counts = {k: v for k, v in self.counts.items() if v[0] == window}
            start, n = self.counts.get(key, (window, 0))
            n = n + 1 if start == window else 1
            self.counts[key] = (window, n)
            return n


class _Redis:
    def __init__(self, url: str):
        self.r = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)

    def hit(self, key: str, now: float) -> int:
        k = f"sauro:api:{key}:{int(now) // WINDOW}"
        pipe = self.r.pipeline()
        pipe.incr(k)
        pipe.expire(k, WINDOW * 2)
        n, _ = pipe.execute()
        return int(n)


_LOCAL = _Local()
_REDIS: dict[str, _Redis] = {}


def hit(key: str, limit: int, redis_url: str | None) -> int | None:
    """Count one request of `key`; None when within `limit`, else the seconds to wait."""
    if limit <= 0:
        return None
    now = time.time()
    if redis_url:
        if redis_url not in _REDIS:
            _REDIS[redis_url] = _Redis(redis_url)
        try:
            n = _REDIS[redis_url].hit(key, now)
        except redis.RedisError as e:
            # Redis down: count in this process rather than refuse every request.
            log.warning("API rate limit: Redis unreachable (%s); counting in this process", e)
            n = _LOCAL.hit(key, now)
    else:
        n = _LOCAL.hit(key, now)
    if n <= limit:
        return None
    return WINDOW - int(now) % WINDOW or 1


def reset() -> None:
    """Forget the in-process counts (tests)."""
    _LOCAL.counts.clear()
