"""``pingan ingest``: the one writer that drains the workers' items into the SQLite archive.

Reliable queue: each message moves atomically (BLMOVE) from ``pingan:items`` to
``pingan:items:processing`` and is removed from there only after its transaction committed.
A writer killed in between leaves it in the processing list; the next writer moves it back
in front of the queue and takes it again. Every committed message id is recorded in the same
transaction (table ``ingested``), so such a replay is recognised and skipped: nothing is
stored twice, not even a view-count reading.

Items are stored by :func:`pingan_crawler.storage.accept`: validated, identified, a repeat
within one worker's run dropped, written, exactly as a local crawl's pipelines do; each
outcome is added to that worker's ``crawls`` row as it is stored. After each commit the writer
updates the mirror workers read (``pingan:SITE:known``, ``:walked``, ``:pending``); on start it
rebuilds the mirror from the archive.
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

from pingan_crawler.distributed import (
    DEAD_KEY,
    INGEST_LOCK_KEY,
    ITEMS_KEY,
    PROCESSING_KEY,
    SiteKeys,
)
from pingan_crawler.distributed.codec import Message, MessageError
from pingan_crawler.items import ArticlePage, ListPage, PageError, SectionWalked
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.storage import Archive, ArchiveState, Outcome, accept, store

logger = logging.getLogger(__name__)

LOCK_TTL_MS = 30_000
REPLAY_MEMORY = timedelta(days=7)  # how long committed message ids are kept
MIRROR_CHUNK = 5_000


class IngestLocked(RuntimeError):
    """Another writer drains this Redis; the message names it."""


@dataclass
class WorkerCrawl:
    """One worker process's run: its ``crawls`` row and the URLs stored in it so far."""

    crawl_id: int
    stored_urls: set[str] = field(default_factory=set)


@dataclass
class IngestReport:
    messages: int = 0
    replays: int = 0
    unreadable: int = 0
    failed: int = 0
    requeued: int = 0
    crawls_finished: int = 0
    interrupted: bool = False
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def line(self, db: str | Path) -> str:
        get = self.outcomes.get
        errors = get(Outcome.ERROR, 0) + get(Outcome.REJECTED, 0)
        return (
            f"ingest: {self.messages} messages, {get(Outcome.NEW, 0)} articles stored, "
            f"{get(Outcome.UPDATED, 0)} updated, {get(Outcome.DUPLICATE, 0)} duplicates "
            f"merged, {errors} errors, {self.crawls_finished} worker crawls "
            f"finished, {self.replays} replays skipped, {self.requeued} taken back from a "
            f"killed writer, {self.unreadable + self.failed} failed → {db}"
        )


class Ingest:
    """Drain ``pingan:items`` into one archive; :meth:`run` until idle or stopped."""

    def __init__(self, redis_url: str, db: str | Path):
        self.server = redis.Redis.from_url(redis_url)
        self.db = db
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
        self.archive.ingest.forget_before(cutoff.isoformat(timespec="seconds"))

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
        if self.archive.ingest.seen(message.id):
            self.report.replays += 1
            return
        crawl = self.crawl_of(message)
        try:
            with self.archive.transaction():
                outcome = self.apply(crawl, message)
                self.archive.ingest.mark(message.id)
        except Exception as exc:  # a bug or bad data: record it, keep the message, go on
            logger.exception("could not store message %s of %s", message.id, message.worker)
            self.server.rpush(DEAD_KEY, raw)
            self.report.failed += 1
            if isinstance(message.body, ArticlePage):  # not stored: a resend may be
                crawl.stored_urls.discard(message.body.canonical_url)
            url = getattr(getattr(message.body, "snapshot", None), "url", "") or ""
            detail = f"{type(exc).__name__}: {exc} (message {message.id} kept in {DEAD_KEY})"
            error = PageError(
                message.site, url or getattr(message.body, "url", ""), "ingest_failed", detail
            )
            store(self.archive, crawl.crawl_id, error)
            return
        if outcome is not None:
            self.report.outcomes[outcome] += 1
            self.mirror(message.site, message.body, outcome)

    def crawl_of(self, message: Message) -> WorkerCrawl:
        crawl = self.crawls.get(message.worker)
        if crawl is None:
            args = message.body if message.kind == "start" else {"worker": message.worker}
            crawl_id = self.archive.crawls.worker_crawl(
                message.site, message.worker, args, str(args.get("started_at", ""))
            )
            crawl = self.crawls[message.worker] = WorkerCrawl(crawl_id)
        return crawl

    def apply(self, crawl: WorkerCrawl, message: Message) -> Outcome | None:
        """Store one message inside the caller's transaction; what storing its item did."""
        if message.kind == "finish":
            self.archive.crawls.finish_worker(
                crawl.crawl_id, message.body.get("reason", "?"), message.body.get("stats", {})
            )
            self.crawls.pop(message.worker, None)
            self.report.crawls_finished += 1
            return None
        if message.kind == "start":
            return None
        outcome = accept(self.archive, crawl.crawl_id, message.body, crawl.stored_urls)
        self.archive.crawls.count(crawl.crawl_id, outcome)
        return outcome

    # -- the mirror workers read ---------------------------------------------------------------
    def mirror(self, site: str, item, outcome: Outcome) -> None:
        keys = SiteKeys(site)
        if outcome.stored_article:
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
        state = ArchiveState(self.archive)
        for site in state.sites():
            keys = SiteKeys(site)
            self._replace_set(keys.known, state.known_article_urls(site))
            self._replace_set(keys.walked, state.walked_sections(site))
            self._replace_hash(keys.pending, dict(state.listed_not_archived(site)))

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
