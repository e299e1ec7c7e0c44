"""SIGTERM and SIGINT stop a crawl within seconds, and every crawl row still ends finished.

Scrapy's own handlers only *schedule* a graceful stop on the reactor: a spider callback busy
for minutes on a huge page, requests queued behind a download delay, and a retry waiting out
a Retry-After would each keep the process going long after it was told to stop. And a second
signal makes Scrapy stop the reactor at once, so no spider is closed: the ``crawls`` row stays
unfinished and the run's exit code says nothing of the interruption.

Here, on top of Scrapy's handlers (which still run):

- a signal that arrives while spider code is running (:class:`CallbackGuard` marks it) ends
  that callback on the spot with :class:`CallbackInterrupted`; the page it was reading is
  left for the next run, like any page not yet fetched;
- the first signal also drops the requests queued in the downloader unsent (they fail with
  :class:`~pingan_crawler.failures.Interrupted`, recorded nowhere) and wakes retries that
  are waiting (:func:`interrupted` tells them);
- the second signal first finishes every crawl's record (``finish_reason`` ``shutdown``, so
  ``interrupted`` in the archive, the summary and exit code 5), then lets Scrapy stop.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler

from pingan_crawler.failures import Interrupted

logger = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class CallbackInterrupted(BaseException):
    """Raised inside spider code by a stop signal, to end the callback at once (a
    BaseException, like KeyboardInterrupt: no `except Exception` of spider code swallows it)."""


class _Guard:
    """The process's one set of signal handlers over Scrapy's, and what they act on."""

    def __init__(self):
        self.signals_seen = 0
        self.busy = 0  # spider callbacks running right now (nested: a callback's iteration)
        self._previous: dict[int, object] = {}
        self._handler = self.handle  # one bound method, so that `is` recognises it
        # crawler → what finishes its record when the reactor is stopped without closing it
        self.finishers: WeakKeyDictionary[Crawler, list[Callable[[], None]]] = WeakKeyDictionary()

    def install(self) -> None:
        """Put our handler on top of whatever is installed (Scrapy reinstalls its own)."""
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            if current is not self._handler:
                self._previous[signum] = current
                signal.signal(signum, self._handler)

    def handle(self, signum: int, frame) -> None:
        from twisted.internet import reactor

        self.signals_seen += 1
        if self.signals_seen == 1:
            reactor.callFromThread(self.hurry)
        else:
            reactor.callFromThread(self.finish_records)  # runs before Scrapy's stop below
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, frame)  # Scrapy's: graceful stop, or forced on the second
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.install()  # Scrapy's handler replaced itself (and us): wrap it again
        if self.busy:
            raise CallbackInterrupted(f"signal {signum}: the run is being stopped")

    def hurry(self) -> None:
        """Drop what waits in the downloaders: a stopping run sends nothing more."""
        for crawler in list(self.finishers):
            drop_queued(crawler, Interrupted("the run was interrupted before this was sent"))

    def finish_records(self) -> None:
        """The forced stop closes no spider: finish each crawl's record ourselves first."""
        for crawler, finishers in list(self.finishers.items()):
            stats = crawler.stats
            if stats is not None and stats.get_value("finish_reason") is None:
                stats.set_value("finish_reason", "shutdown")
                stats.set_value("finish_time", datetime.now(UTC))
            for finish in finishers:
                try:
                    finish()
                except Exception:
                    logger.exception("could not finish the crawl record on a forced stop")


_GUARD = _Guard()


def interrupted() -> bool:
    """Has this process been asked to stop (SIGTERM/SIGINT)?"""
    return _GUARD.signals_seen > 0


def on_forced_stop(crawler: Crawler, finish: Callable[[], None]) -> None:
    """Call ``finish`` if the reactor is stopped before ``crawler``'s spider is closed (it must
    be idempotent: a graceful close may have run it already)."""
    _GUARD.finishers.setdefault(crawler, []).append(finish)


def drop_queued(crawler: Crawler, exc: Exception) -> int:
    """Fail the requests waiting in ``crawler``'s downloader slots, unsent; how many.

    Reaches into Scrapy's downloader slots; if their shape changes, the requests are merely
    sent (and a stopping or stopped run discards what they bring).
    """
    downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
    dropped = 0
    for slot in list(getattr(downloader, "slots", {}).values()):
        queue = getattr(slot, "queue", None)
        while queue:
            _request, waiting = queue.popleft()
            waiting.errback(exc)
            dropped += 1
    return dropped


class ShutdownGuard:
    """Scrapy extension: keeps our handlers on top of Scrapy's for this crawler's run."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        _GUARD.finishers.setdefault(crawler, [])
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShutdownGuard:
        return cls(crawler)

    def engine_started(self) -> None:
        from twisted.internet import reactor

        _GUARD.install()
        # Scrapy installs its handlers once the reactor runs, over ours: wrap them then.
        reactor.callLater(0, _GUARD.install)

    def spider_closed(self, spider) -> None:
        _GUARD.finishers.pop(self.crawler, None)


class CallbackGuard:
    """Spider middleware (innermost): marks spider code as running while it runs, so that a
    stop signal ends it (:class:`CallbackInterrupted`), and runs no more callbacks once the
    run is stopping for good."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackGuard:
        return cls()

    async def process_spider_output(self, response, result: AsyncIterator) -> AsyncIterator:
        _GUARD.install()  # cheap, and the only sure moment: right before spider code runs
        iterator = aiter(result)
        while True:
            _GUARD.busy += 1
            try:
                item = await anext(iterator)
            except StopAsyncIteration:
                return
            except CallbackInterrupted:
                url = getattr(response, "url", "?")
                logger.info("stopped reading %s: the run was interrupted", url)
                return
            finally:
                _GUARD.busy -= 1
            yield item
