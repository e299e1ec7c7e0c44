"""``pingan ingest``: the one writer that drains the workers' items into the SQLite archive.

Reliable queue: each message moves atomically (BLMOVE) from ``pingan:items`` to
``pingan:items:processing`` and is removed from there only after its transaction committed.
A writer killed in between leaves it in the processing list; the next writer moves it back
in front of the queue and takes it again. Every committed message id is recorded in the same
transaction (table ``ingested``), so such a replay is recognised and skipped: nothing is
stored twice, not even a view-count reading.

Items pass through the project's ``ITEM_PIPELINES`` (validate → dedup → store), exactly as
in a local crawl, one set of pipeline objects per worker crawl, each bound to that crawl's
``crawls`` row. After each commit the writer updates the mirror workers read
(``pingan:SITE:known``, ``:walked``, ``:pending``); on start it rebuilds the mirror from the
archive.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import redis
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from pingan_crawler.distributed import (
    DEAD_KEY,
    INGEST_LOCK_KEY,
    ITEMS_KEY,
    PROCESSING_KEY,
    SiteKeys,
)
from pingan_crawler.distributed.codec import Message, MessageError
from pingan_crawler.items import ArticlePage, ListPage, SectionWalked
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.session import CrawlSession, bind_session
from pingan_crawler.storage import Archive

logger = logging.getLogger(__name__)

LOCK_TTL_MS = 30_000
REPLAY_MEMORY = timedelta(days=7)  # how long committed message ids are kept
MIRROR_CHUNK = 5_000


class IngestLocked(RuntimeError):
    """Another writer drains this Redis; the message names it."""


class IngestStats:
    """The part of Scrapy's stats collector the pipelines use."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def set_value(self, key: str, value) -> None:
        self.values[key] = value

    def get_value(self, key: str, default=None):
        return self.values.get(key, default)

    def get_stats(self) -> dict:
        return dict(self.values)


class CrawlStandIn:
    """What pipelines built ``from_crawler`` read: settings and stats (no spider, no engine)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.stats = IngestStats()
        self.spider = None


@dataclass
class WorkerCrawl:
    crawl_id: int
    stand_in: CrawlStandIn
    pipelines: list


@dataclass
class IngestReport:
    messages: int = 0
    replays: int = 0
    unreadable: int = 0
    failed: int = 0
    requeued: int = 0
    crawls_finished: int = 0
    interrupted: bool = False
    outcomes: Counter = field(default_factory=Counter)

    def line(self, db: str | Path) -> str:
        get = self.outcomes.get
        return (
            f"ingest: {self.messages} messages, {get('archive/new', 0)} articles stored, "
            f"{get('archive/updated', 0)} updated, {get('archive/duplicate', 0)} duplicates "
            f"merged, {get('archive/errors', 0)} errors, {self.crawls_finished} worker crawls "
            f"finished, {self.replays} replays skipped, {self.requeued} taken back from a "
            f"killed writer, {self.unreadable + self.failed} failed → {db}"
        )


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("pingan_crawler.settings", priority="project")
    return settings


class Ingest:
    """Drain ``pingan:items`` into one archive; :meth:`run` until idle or stopped."""

    def __init__(self, redis_url: str, db: str | Path, settings: Settings | None = None):
        self.server = redis.Redis.from_url(redis_url)
        self.db = db
        self.settings = settings or project_settings()
        self.pipeline_classes = [
            load_object(path)
            for path in build_component_list(self.settings.getwithbase("ITEM_PIPELINES"))
        ]
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self.crawls: dict[str, WorkerCrawl] = {}
        self.report = IngestReport()
        self.stopping = False
        self.archive: Archive | None = None

    def stop(self) -> None:
        """Finish the message in hand, then return (safe from a signal handler)."""
        self.stopping = True

    # -- the loop ------------------------------------------------------------------------------
    def run(self, max_idle: float = 0) -> IngestReport:
        """Drain until the queue stayed empty ``max_idle`` seconds (0: until stopped)."""
        self._lock()
        self.archive = Archive(self.db)
        try:
            self.report.requeued = self.requeue_unacknowledged()
            self.sync_mirror()
            idle_since = pruned = time.monotonic()
            self.forget_old_replay_records()
            while not self.stopping:
                self._refresh_lock()
                if time.monotonic() - pruned > 3600:
                    self.forget_old_replay_records()
                    pruned = time.monotonic()
                raw = self.server.blmove(ITEMS_KEY, PROCESSING_KEY, 1, "LEFT", "RIGHT")
                if raw is None:
                    if max_idle and time.monotonic() - idle_since >= max_idle:
                        break
                    continue
                idle_since = time.monotonic()
                self.handle(raw)
                self.server.lrem(PROCESSING_KEY, 1, raw)  # acknowledged: committed
            self.report.interrupted = self.stopping
        finally:
            self.archive.close()
            self._unlock()
        return self.report

    def forget_old_replay_records(self) -> None:
        cutoff = datetime.now(SHANGHAI) - REPLAY_MEMORY
        self.archive.forget_ingested_before(cutoff.isoformat(timespec="seconds"))

    def requeue_unacknowledged(self) -> int:
        """Put messages a killed writer had taken back at the head of the queue, in order."""
        moved = 0
        while self.server.lmove(PROCESSING_KEY, ITEMS_KEY, "RIGHT", "LEFT") is not None:
            moved += 1
        if moved:
            logger.warning("took back %d messages a previous writer had not committed", moved)
        return moved

    def handle(self, raw: bytes) -> None:
        self.report.messages += 1
        try:
            message = Message.loads(raw)
        except MessageError as exc:
            logger.error("unreadable message moved to %s: %s", DEAD_KEY, exc)
            self.server.rpush(DEAD_KEY, raw)
            self.report.unreadable += 1
            return
        if self.archive.was_ingested(message.id):
            self.report.replays += 1
            return
        crawl = self.crawl_of(message)
        try:
            with self.archive.db.atomic():
                result = self.apply(crawl, message)
                self.archive.mark_ingested(message.id)
        except Exception as exc:  # a bug or bad data: record it, keep the message, go on
            logger.exception("could not store message %s of %s", message.id, message.worker)
            self.server.rpush(DEAD_KEY, raw)
            self.report.failed += 1
            url = getattr(getattr(message.body, "snapshot", None), "url", "") or ""
            self.archive.record_error(
                crawl.crawl_id,
                url or getattr(message.body, "url", ""),
                "ingest_failed",
                f"{type(exc).__name__}: {exc} (message {message.id} kept in {DEAD_KEY})",
                site=message.site,
            )
            return
        self.mirror(message.site, result)

    def crawl_of(self, message: Message) -> WorkerCrawl:
        crawl = self.crawls.get(message.worker)
        if crawl is None:
            args = message.body if message.kind == "start" else {"worker": message.worker}
            crawl_id = self.archive.worker_crawl(
                message.site, message.worker, args, str(args.get("started_at", ""))
            )
            stand_in = CrawlStandIn(self.settings)
            bind_session(stand_in, CrawlSession(self.archive, crawl_id))
            pipelines = [_build(cls, stand_in) for cls in self.pipeline_classes]
            crawl = self.crawls[message.worker] = WorkerCrawl(crawl_id, stand_in, pipelines)
        return crawl

    def apply(self, crawl: WorkerCrawl, message: Message):
        """Store one message inside the caller's transaction; returns the stored item."""
        if message.kind == "finish":
            self.archive.finish_worker_crawl(
                crawl.crawl_id, message.body.get("reason", "?"), message.body.get("stats", {})
            )
            self.crawls.pop(message.worker, None)
            self.report.crawls_finished += 1
            return None
        if message.kind == "start":
            return None
        before = dict(crawl.stand_in.stats.values)
        item = message.body
        try:
            for pipeline in crawl.pipelines:
                item = pipeline.process_item(item)
        except DropItem:
            item = None
        after = crawl.stand_in.stats.values
        deltas = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
        self.archive.add_crawl_counts(crawl.crawl_id, deltas)
        self.report.outcomes.update(deltas)
        return item

    # -- the mirror workers read ---------------------------------------------------------------
    def mirror(self, site: str, item) -> None:
        keys = SiteKeys(site)
        if isinstance(item, ArticlePage) and item.canonical_url:
            with self.server.pipeline() as pipe:
                pipe.sadd(keys.known, item.canonical_url)
                pipe.hdel(keys.pending, item.canonical_url)
                pipe.execute()
        elif isinstance(item, SectionWalked):
            self.server.sadd(keys.walked, item.section)
        elif isinstance(item, ListPage) and item.links:
            urls = [link.url for link in item.links]
            known = self.server.smismember(keys.known, urls)
            with self.server.pipeline() as pipe:
                for url, is_known in zip(urls, known, strict=True):
                    if not is_known:
                        pipe.hsetnx(keys.pending, url, item.section)
                pipe.execute()

    def sync_mirror(self) -> None:
        """Rebuild every site's mirror from the archive (it may have been lost or be stale)."""
        for site in self.archive.sites_with_state():
            keys = SiteKeys(site)
            self._replace_set(keys.known, self.archive.known_article_urls(site))
            self._replace_set(keys.walked, self.archive.walked_sections(site))
            self._replace_hash(keys.pending, dict(self.archive.listed_not_archived(site)))

    def _replace_set(self, key: str, members: set[str]) -> None:
        temporary = f"{key}:rebuild"
        self.server.delete(temporary)
        ordered = sorted(members)
        for start in range(0, len(ordered), MIRROR_CHUNK):
            self.server.sadd(temporary, *ordered[start : start + MIRROR_CHUNK])
        if ordered:
            self.server.rename(temporary, key)  # atomic: readers see old or new, never half
        else:
            self.server.delete(key)

    def _replace_hash(self, key: str, mapping: dict[str, str]) -> None:
        temporary = f"{key}:rebuild"
        self.server.delete(temporary)
        items = sorted(mapping.items())
        for start in range(0, len(items), MIRROR_CHUNK):
            self.server.hset(temporary, mapping=dict(items[start : start + MIRROR_CHUNK]))
        if items:
            self.server.rename(temporary, key)
        else:
            self.server.delete(key)

    # -- one writer per Redis ------------------------------------------------------------------
    def _lock(self) -> None:
        if not self.server.set(INGEST_LOCK_KEY, self.owner, nx=True, px=LOCK_TTL_MS):
            holder = self.server.get(INGEST_LOCK_KEY)
            raise IngestLocked(
                f"another pingan ingest drains this Redis: {holder.decode() if holder else '?'} "
                f"(key {INGEST_LOCK_KEY}; expires {LOCK_TTL_MS // 1000} s after that writer dies)"
            )

    def _refresh_lock(self) -> None:
        holder = self.server.get(INGEST_LOCK_KEY)
        if holder is not None and holder.decode() != self.owner:
            raise IngestLocked(f"lost the writer lock to {holder.decode()}")
        self.server.set(INGEST_LOCK_KEY, self.owner, px=LOCK_TTL_MS)

    def _unlock(self) -> None:
        holder = self.server.get(INGEST_LOCK_KEY)
        if holder is not None and holder.decode() == self.owner:
            self.server.delete(INGEST_LOCK_KEY)


def _build(cls, stand_in: CrawlStandIn):
    if hasattr(cls, "from_crawler"):
        return cls.from_crawler(stand_in)
    return cls()
