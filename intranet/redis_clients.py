"""One Redis client per URL and timeout, shared by the parts of the core that use Redis
(server-side sessions, the count cache's table versions): each keeps one connection pool."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def client(url: str, timeout: float | None = None):
    """The client of ``url``; ``timeout`` (seconds) bounds connecting and each command."""
    import redis
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
