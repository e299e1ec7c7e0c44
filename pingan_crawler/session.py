"""The archive and crawl record one Scrapy crawl writes to, shared by pipelines and extensions."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from weakref import WeakKeyDictionary, WeakSet

from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object

from pingan_crawler.crawl.glue import end_reason
from pingan_crawler.items import PageError
from pingan_crawler.storage import Archive, Outcome, store

logger = logging.getLogger(__name__)

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


class WriteFailed(Exception):
    """The archive could not be written (a full disk, a read-only file, an I/O error, a lock
    held too long): the crawl stops, and nothing more is written to it in this run."""


def write_failure(exc: BaseException) -> str:
    """What went wrong with a write, in words a user can act on."""
    text = str(exc).lower()
    if "full" in text or getattr(exc, "errno", None) == 28:  # ENOSPC
        cause = "the disk is full"
    elif "readonly" in text or "read-only" in text:
        cause = "the archive became read-only"
    elif "disk i/o" in text or isinstance(exc, OSError):
        cause = "the disk failed to write"
    elif "locked" in text or "busy" in text:
        cause = "another process held the archive locked longer than the busy timeout"
    elif "malformed" in text or "corrupt" in text:
        cause = "the archive is damaged (`pingan verify`)"
    else:
        cause = "SQLite refused the write"
    return f"{cause} ({exc})"


def write_item(crawler: Crawler, item) -> Outcome:
    """Store ``item`` in its own transaction (:func:`pingan_crawler.storage.store`).

    A write that fails is never a success: the item's transaction is rolled back (nothing
    half-stored), the failure is kept in the stats (``archive/write_failed``), the crawl is
    closed with reason ``write_failed`` (exit code 6) and every later item is refused
    (``archive/not_stored``), so the summary says how many fetched items were not stored; the
    next run fetches them again.
    """
    stats = crawler.stats
    if failure := stats.get_value("archive/write_failed"):
        stats.inc_value("archive/not_stored")
        raise WriteFailed(failure)
    session = session_for(crawler)
    try:
        return store(session.archive, session.crawl_id, item)
    except sqlite3.IntegrityError:
        raise  # our bug, not the disk's: let it show
    except (sqlite3.DatabaseError, OSError) as exc:
        failure = write_failure(exc)
        stats.set_value("archive/write_failed", failure)
        stats.inc_value("archive/not_stored")
        logger.error("Could not write to %s: %s; stopping the crawl", session.archive.path, failure)
        if crawler.engine is not None and crawler.engine.running:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(crawler.engine.close_spider_async(reason="write_failed"))
        raise WriteFailed(failure) from None


def end_session(crawler: Crawler, reason: str) -> CrawlSession | None:
    session = _SESSIONS.pop(crawler, None)
    _ENDED.add(crawler)
    if session is not None:
        stats = crawler.stats.get_stats()
        try:
            session.archive.crawls.finish(session.crawl_id, end_reason(reason), stats)
        except (sqlite3.DatabaseError, OSError) as exc:  # the disk that failed the items
            crawler.stats.set_value("archive/row_unfinished", write_failure(exc))
            logger.error("Could not finish crawl row #%s: %s", session.crawl_id, exc)
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
    with suppress(WriteFailed):  # said once, counted in archive/not_stored
        write_item(crawler, error)
