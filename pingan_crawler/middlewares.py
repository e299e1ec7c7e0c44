"""Downloader middlewares: stop at anti-bot challenges, refuse redirect loops, retry politely.

Order (``DOWNLOADER_MIDDLEWARES`` in settings.py; responses pass from high numbers to low):
``RedirectGuard`` (610) sees a 3xx before Scrapy's RedirectMiddleware (600) follows it;
``BlockDetection`` (585) sees the decompressed body (590) before ``PoliteRetry`` (550) could
retry it, so a challenge is never retried; ``PoliteRetry`` replaces Scrapy's RetryMiddleware.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime
from time import monotonic
from urllib.parse import urljoin, urlsplit

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.response import response_status_message

from pingan_crawler import errorkinds
from pingan_crawler.crawl.glue import first_requested_url, headers_of, public_mapper, snapshot_of
from pingan_crawler.failures import Blocked, Refused, SiteStopped
from pingan_crawler.items import PageError
from pingan_crawler.parsing.challenge import detect_challenge, is_challenge_url
from pingan_crawler.session import record_page_error

logger = logging.getLogger(__name__)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def _public(crawler: Crawler, url: str) -> str:
    return public_mapper(crawler)(url)


class BlockDetection:
    """On a challenge: one ``blocked:<vendor>`` error with the snapshot, then stop the site.

    The page is never retried, solved or passed on; the crawl closes with reason ``blocked``
    (exit code 3). robots.txt answered by a challenge counts too: it passes through here.
    robots.txt answering 5xx even after retries stops the site as well (RFC 9309: an
    unreachable robots.txt means complete disallow), closing with ``robots_unavailable``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stopped: str | None = None  # why the site was stopped, once it is
        self.max_retry_times = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetection:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.stopped:
            raise SiteStopped(f"site stopped for this run: {self.stopped}")
        vendor = is_challenge_url(request.url)
        if vendor:
            first = first_requested_url(request)
            self.block(request, vendor, None, f"redirected from {first} to {request.url}")

    def process_response(self, request: Request, response: Response) -> Response:
        if self.stopped:
            raise SiteStopped(f"site stopped for this run: {self.stopped}")
        vendor = detect_challenge(response.status, headers_of(response), response.body)
        if vendor:
            self.block(request, vendor, response, f"HTTP {response.status} challenge page")
        if self._robots_unavailable(request, response):
            url = _public(self.crawler, request.url)
            detail = (
                f"{url} answered HTTP {response.status} after retries: under RFC 9309 the "
                f"whole site counts as disallowed, so it is stopped for this run"
            )
            self.stop(request, response, errorkinds.ROBOTS_DISALLOWED, detail, "robots_unavailable")
            raise SiteStopped(detail)
        return response

    def _robots_unavailable(self, request: Request, response: Response) -> bool:
        """robots.txt failing with 5xx on its last attempt (the retries come after us)."""
        last_try = request.meta.get("retry_times", 0) >= request.meta.get(
            "max_retry_times", self.max_retry_times
        )
        return urlsplit(request.url).path == "/robots.txt" and response.status >= 500 and last_try

    def block(self, request: Request, vendor: str, response: Response | None, how: str) -> None:
        url = _public(self.crawler, first_requested_url(request))
        detail = (
            f"{vendor} anti-bot challenge at {url} ({how}); not retried or solved, "
            f"site stopped for this run — crawl it later, slower, or ask the site"
        )
        stats = self.crawler.stats
        stats.inc_value("archive/blocked")
        if not self.stopped:
            stats.set_value("archive/blocked_by", vendor)
            stats.set_value("archive/blocked_url", url)
        self.stop(request, response, errorkinds.blocked(vendor), detail, "blocked")
        raise Blocked(detail)

    def stop(
        self, request: Request, response: Response | None, kind: str, detail: str, reason: str
    ) -> None:
        """Record the error with its snapshot; on the first stop, close the site's run."""
        to_public = public_mapper(self.crawler)
        url = to_public(first_requested_url(request))
        snap = snapshot_of(response, to_public, request) if response else None
        site = getattr(getattr(self.crawler.spider, "profile", None), "name", "")
        status = response.status if response else None
        record_page_error(self.crawler, PageError(site, url, kind, detail, status, snap))
        self.crawler.stats.inc_value("archive/errors")
        if not self.stopped:
            self.stopped = f"{kind} at {url}"
            logger.error("Site stopped: %s", detail)
            self._drop_queued(f"site stopped for this run: {self.stopped}")
            # Not awaited: closing waits for this very request to finish.
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def _drop_queued(self, why: str) -> None:
        """Fail requests already waiting in the downloader (past this middleware) unsent.

        Closing the spider would otherwise still send them, one download delay apart, to a
        site that has just said stop. Reaches into Scrapy's downloader slots; if their shape
        changes, the requests are merely sent (and discarded by ``process_response``).
        """
        downloader = getattr(self.crawler.engine, "downloader", None)
        for slot in getattr(downloader, "slots", {}).values():
            queue = getattr(slot, "queue", None)
            while queue:
                _request, waiting = queue.popleft()
                waiting.errback(SiteStopped(why))


class RedirectGuard:
    """A redirect back to a URL already in this request's chain is a loop: refuse it.

    Scrapy would hand the repeated URL to its duplicate filter and drop it without a word.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            path = " → ".join(_public(self.crawler, url) for url in [*chain, target])
            raise Refused(errorkinds.REDIRECT_LOOP, f"redirect loop: {path}", response)
        return response


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetry(RetryMiddleware):
    """Scrapy's retry, but waiting first: Retry-After when the site says, else backoff.

    The wait doubles per retry from ``PINGAN_RETRY_BACKOFF`` seconds and never exceeds
    ``PINGAN_RETRY_MAX_WAIT``. A 429 or 503 speaks for the whole site, so its download slot
    pauses for the wait too (with a download delay set, as on every real site).
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("PINGAN_RETRY_BACKOFF", 2.0)
        self.max_wait = settings.getfloat("PINGAN_RETRY_MAX_WAIT", 120.0)

    def wait_before_retry(self, response: Response, retries: int) -> float:
        header = response.headers.get("Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        wait = asked if asked is not None else self.backoff * 2**retries
        return min(wait, self.max_wait)

    def _pause_site(self, request: Request, wait: float) -> None:
        """Hold the site's other requests back for ``wait`` seconds as well.

        Scrapy sends a slot's next request ``DOWNLOAD_DELAY`` after ``slot.lastseen``, so
        moving that mark into the future pauses the slot. Reaches into Scrapy's downloader;
        if its shape changes, only the retried request waits.
        """
        downloader = getattr(self.crawler.engine, "downloader", None)
        try:
            slot = downloader.slots[downloader.get_slot_key(request)]
            slot.lastseen = max(slot.lastseen, monotonic() + wait)
        except (AttributeError, KeyError):
            return

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retries = request.meta.get("retry_times", 0)
        if retries < request.meta.get("max_retry_times", self.max_retry_times):
            wait = self.wait_before_retry(response, retries)
            if wait > 0:
                self.crawler.stats.inc_value("retry/wait_seconds", wait)
                if response.status in (429, 503):
                    self._pause_site(request, wait)
                await sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response
