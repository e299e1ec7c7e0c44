"""The Scrapy add-on that turns a crawl into a distributed worker when ``REDIS_URL`` is set.

Every crawl loads it (``ADDONS`` in settings.py), so it must not import scrapy-redis or redis:
those come with the optional ``distributed`` extra and load only when ``REDIS_URL`` is set.
"""

from __future__ import annotations

from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from pingan_crawler.distributed.connection import require_redis

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
        # Another worker may fetch a list page's articles: page on without waiting for them.
        _override(settings, "PINGAN_PAGE_AFTER_ARTICLES", False)
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
