"""The archive and crawl record one Scrapy crawl writes to, shared by pipelines and extensions."""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary, WeakSet

from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object

from pingan_crawler.crawl.glue import end_reason
from pingan_crawler.items import PageError
from pingan_crawler.storage import Archive, store

_SESSIONS: WeakKeyDictionary[Crawler, CrawlSession] = WeakKeyDictionary()
_ENDED: WeakSet[Crawler] = WeakSet()  # a crawl record once finished is never started again


@dataclass
class CrawlSession:
    archive: Archive
    crawl_id: int


def session_for(crawler: Crawler) -> CrawlSession:
    """Open the archive and start the crawl record on first use; one per crawler."""
    session = _SESSIONS.get(crawler)
    if session is None:
        if crawler in _ENDED:  # a forced stop finished the record; what arrives late is lost
            raise RuntimeError("the crawl record is finished: the run was stopped")
        archive = Archive(crawler.settings.get("PINGAN_DB"))
        spider = crawler.spider
        args = {
            "spider": spider.name if spider else None,
            "mirror_url": getattr(getattr(spider, "profile", None), "mirror_url", None),
            "full": getattr(spider, "full", None),
        }
        site = getattr(getattr(spider, "profile", None), "name", "") or ""
        session = CrawlSession(archive, archive.crawls.start(site, args))
        _SESSIONS[crawler] = session
    return session


def end_session(crawler: Crawler, reason: str) -> CrawlSession | None:
    session = _SESSIONS.pop(crawler, None)
    _ENDED.add(crawler)
    if session is not None:
        stats = crawler.stats.get_stats()
        session.archive.crawls.finish(session.crawl_id, end_reason(reason), stats)
        session.archive.close()
    return session


def record_page_error(crawler: Crawler, error: PageError) -> None:
    """Record an error found outside the item pipelines (a middleware's or an extension's).

    Locally it goes to the crawl's archive; ``PINGAN_ERROR_SINK`` (set by the distributed
    add-on) names a function ``(crawler, error)`` that sends it elsewhere, so a worker never
    opens SQLite.
    """
    sink = crawler.settings.get("PINGAN_ERROR_SINK")
    if sink:
        load_object(sink)(crawler, error)
        return
    session = session_for(crawler)
    store(session.archive, session.crawl_id, error)
