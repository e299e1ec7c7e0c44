"""Distributed crawling on scrapy-redis: many workers share one frontier, one process writes.

Topology: worker processes (``pingan crawl --redis URL SITE``, or ``scrapy crawl pingan -s
REDIS_URL=URL``) on any machines share one request queue and dupefilter in Redis; they never
open the SQLite archive. Items, each with its page snapshot, go to a Redis list; ``pingan
ingest --redis URL --db PATH`` is the single writer that drains it through the same
validate → dedup → store pipelines as a local crawl.

This module is imported by every crawl (``ADDONS`` in settings.py), so it must not import
scrapy-redis or redis: those come with the optional ``distributed`` extra and load only when
``REDIS_URL`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

PREFIX = "pingan"
ITEMS_KEY = f"{PREFIX}:items"  # items from every worker, oldest first
PROCESSING_KEY = f"{PREFIX}:items:processing"  # taken by the writer, not yet committed
DEAD_KEY = f"{PREFIX}:items:dead"  # messages the writer could not read (kept for a human)
INGEST_LOCK_KEY = f"{PREFIX}:ingest:lock"

INSTALL_HINT = "pip install 'pingan-crawler[distributed]' (scrapy-redis and redis)"


@dataclass(frozen=True)
class SiteKeys:
    """The Redis keys of one site's shared crawl state."""

    site: str

    def _key(self, name: str) -> str:
        return f"{PREFIX}:{self.site}:{name}"

    @property
    def requests(self) -> str:  # the frontier: a sorted set (scrapy-redis PriorityQueue)
        return self._key("requests")

    @property
    def dupefilter(self) -> str:  # request fingerprints seen (persistent across runs)
        return self._key("dupefilter")

    @property
    def workers(self) -> str:  # ids of workers that joined (alive or not)
        return self._key("workers")

    def heartbeat(self, worker: str) -> str:  # exists while the worker lives
        return self._key(f"worker:{worker}")

    def inflight(self, worker: str) -> str:  # requests a worker took and has not finished
        return self._key(f"inflight:{worker}")

    @property
    def run(self) -> str:  # held while a run of this site is going on; its holder seeded it
        return self._key("run")

    @property
    def known(self) -> str:  # mirror of the archive's article URLs (written by the writer)
        return self._key("known")

    @property
    def walked(self) -> str:  # mirror of the archive's walked sections
        return self._key("walked")

    @property
    def pending(self) -> str:  # mirror of "listed but not archived": url → section
        return self._key("pending")


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


_COMPONENT = "pingan_crawler.distributed"


def _override(settings: BaseSettings, name: str, value) -> None:
    """Set unless the command line already chose a value (``-s NAME=…`` wins)."""
    if (settings.getpriority(name) or 0) < 40:
        settings.set(name, value, priority="spider")


class DistributedAddon:
    """Scrapy add-on: ``REDIS_URL`` set → the shared scheduler, dupefilter and item queue.

    Without ``REDIS_URL`` it does nothing, so a local crawl is unchanged.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        try:
            require_redis()
        except RuntimeError as exc:
            raise NotConfigured(str(exc)) from exc
        _override(settings, "SCHEDULER", f"{_COMPONENT}.frontier.RedisFrontier")
        _override(settings, "DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
        # Never flush the shared queue when one worker stops: others still work on it, and a
        # killed run's requests wait there for the next one.
        _override(settings, "SCHEDULER_PERSIST", True)
        _override(settings, "SCHEDULER_FLUSH_ON_START", False)
        # List pages must be fetched again on every run; the persistent dupefilter would drop
        # them after the first.
        _override(settings, "PINGAN_LIST_PAGES_DONT_FILTER", True)
        # Workers read "already archived" from the writer's mirror in Redis, not from SQLite.
        _override(settings, "PINGAN_STATE_READER", f"{_COMPONENT}.worker.RedisMirror")
        _override(settings, "ITEM_PIPELINES", {f"{_COMPONENT}.worker.RedisItemPipeline": 300})
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["pingan_crawler.extensions.CrawlRecord"] = None  # it writes SQLite
        extensions[f"{_COMPONENT}.worker.RedisCrawlRecord"] = 100
        _override(settings, "EXTENSIONS", extensions)
        # Errors found outside the pipelines (BlockDetection) go to Redis too, not to SQLite.
        _override(settings, "PINGAN_ERROR_SINK", f"{_COMPONENT}.worker.push_error")
        middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
        middlewares[f"{_COMPONENT}.frontier.SeedOnce"] = 50
        _override(settings, "SPIDER_MIDDLEWARES", middlewares)
