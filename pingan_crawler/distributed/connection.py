"""Is distributed crawling possible here: the optional packages installed, Redis reachable.

Both checks import redis only when called, so the CLI can say what to install instead of
failing on an import.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'pingan-crawler[distributed]' (scrapy-redis and redis)"


def require_redis() -> None:
    """Fail with the install command when the optional dependencies are missing."""
    try:
        import redis  # noqa: F401
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(f"distributed crawling needs {INSTALL_HINT}: {exc}") from exc


def redis_problem(url: str) -> str | None:
    """Why Redis at ``url`` cannot be used (a message naming it and what to do), or None."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot use Redis at {url}: {exc} (is redis-server running and reachable?)"
    return None
