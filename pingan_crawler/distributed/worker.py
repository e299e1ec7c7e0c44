"""What a worker does instead of writing SQLite: items and its crawl record go to Redis.

The archive's incremental state (articles archived, sections walked) comes from the mirror
the writer keeps in Redis (:class:`RedisMirror`), since a worker may run on a machine without
the archive.
"""

from __future__ import annotations

import socket
from datetime import datetime

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.pipelines import RedisPipeline
from twisted.python.failure import Failure

from pingan_crawler import errorkinds
from pingan_crawler.crawl.glue import end_reason
from pingan_crawler.distributed.codec import Message
from pingan_crawler.distributed.frontier import worker_id
from pingan_crawler.distributed.keys import ITEMS_KEY, SiteKeys
from pingan_crawler.items import PageError
from pingan_crawler.parsing.dates import SHANGHAI

# Errors of requests that may succeed another time (the spider's errback kinds).
RETRY_NEXT_RUN = ("http_status", "fetch_failed")


def _site(crawler: Crawler) -> str:
    return getattr(getattr(crawler.spider, "profile", None), "name", "") or ""


class RedisItemPipeline(RedisPipeline):
    """scrapy-redis's pipeline in Scrapy 2.19 style: ``process_item(item)``, no Deferred.

    Pushes each item, snapshot included, as a :class:`Message` to ``pingan:items``. The push
    is one RPUSH on the reactor thread: a millisecond on a LAN, far below a polite crawl's
    pace, and no thread pool to drain at shutdown.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(get_redis_from_settings(crawler.settings), key=ITEMS_KEY)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisItemPipeline:
        return cls(crawler)

    def process_item(self, item):
        message = Message("item", worker_id(self.crawler), _site(self.crawler), item)
        self.server.rpush(self.key, message.dumps())
        self.crawler.stats.inc_value("redis/items_pushed")
        if isinstance(item, PageError):
            self.crawler.stats.inc_value("redis/errors_pushed")
            if item.kind in RETRY_NEXT_RUN:
                self.forget_request(item.url)
        return item

    def forget_request(self, public_url: str) -> None:
        """Take a failed page out of the persistent dupefilter, so a later run can retry it."""
        profile = self.crawler.spider.profile
        keys = SiteKeys(profile.name)
        dupefilter = RFPDupeFilter(self.server, key=keys.dupefilter)
        fingerprint = dupefilter.request_fingerprint(Request(profile.to_mirror(public_url)))
        if self.server.srem(keys.dupefilter, fingerprint):
            self.crawler.stats.inc_value("redis/failed_requests_forgotten")


class RedisCrawlRecord:
    """The worker's ``crawls`` row, by message: start, errors of callbacks, finish with stats."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.server = get_redis_from_settings(crawler.settings)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisCrawlRecord:
        return cls(crawler)

    def _push(self, kind: str, body) -> None:
        message = Message(kind, worker_id(self.crawler), _site(self.crawler), body)
        self.server.rpush(ITEMS_KEY, message.dumps())

    def spider_opened(self, spider) -> None:
        profile = getattr(spider, "profile", None)
        self._push(
            "start",
            {
                "spider": spider.name,
                "mirror_url": getattr(profile, "mirror_url", None),
                "full": getattr(spider, "full", None),
                "worker": worker_id(self.crawler),
                "host": socket.gethostname(),
                "redis": True,
                "started_at": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
            },
        )

    def spider_error(self, failure: Failure, response, spider) -> None:
        kind = errorkinds.HTTP_STATUS if failure.check(HttpError) else errorkinds.PARSE_ERROR
        url = response.url if response is not None else ""
        status = response.status if response is not None else None
        push_error(
            self.crawler,
            PageError(_site(self.crawler), url, kind, failure.getErrorMessage(), status),
        )

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        self._push("finish", {"reason": end_reason(reason), "stats": dict(stats)})


def push_error(crawler: Crawler, error: PageError) -> None:
    """``PINGAN_ERROR_SINK`` of a worker: errors found outside the pipelines (a challenge page
    seen by BlockDetection, a callback's crash) go to the writer like any item."""
    message = Message("item", worker_id(crawler), _site(crawler), error)
    get_redis_from_settings(crawler.settings).rpush(ITEMS_KEY, message.dumps())
    crawler.stats.inc_value("redis/errors_pushed")


class RedisUrlSet:
    """``url in urls`` asks the writer's mirror; ``add`` remembers locally (this run only)."""

    def __init__(self, server, key: str):
        self.server, self.key = server, key
        self.local: set[str] = set()

    def __contains__(self, url: str) -> bool:
        return url in self.local or bool(self.server.sismember(self.key, url))

    def add(self, url: str) -> None:
        self.local.add(url)


class RedisMirror:
    """The archive's read side as a worker sees it (``PINGAN_STATE_READER``)."""

    def __init__(self, settings: BaseSettings):
        self.server = get_redis_from_settings(settings)

    def known_article_urls(self, site: str) -> RedisUrlSet:
        return RedisUrlSet(self.server, SiteKeys(site).known)

    def walked_sections(self, site: str) -> set[str]:
        return {m.decode("utf-8") for m in self.server.smembers(SiteKeys(site).walked)}

    def listed_not_archived(self, site: str) -> list[tuple[str, str]]:
        """Listed, never stored (a failed fetch): the seeder asks for them again.

        Those still in the queue or fetched but not yet ingested are in the dupefilter,
        which drops the repeat; a failed fetch left it (:class:`RedisItemPipeline`).
        """
        pending = self.server.hgetall(SiteKeys(site).pending)
        return sorted((url.decode(), section.decode()) for url, section in pending.items())

    def article_urls_published_since(self, site: str, since: datetime) -> list[str]:
        raise RuntimeError(
            "refresh-views reads the archive: run it without REDIS_URL on the writer's machine"
        )

    def close(self) -> None:
        self.server.close()
