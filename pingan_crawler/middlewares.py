"""Downloader middlewares: stay on the site, stop at anti-bot challenges and long pauses,
refuse redirect loops and redirects off the site, retry politely.

Order (``DOWNLOADER_MIDDLEWARES`` in settings.py; requests pass from low numbers to high,
responses from high to low): ``StayOnSite`` (50, in place of Scrapy's OffsiteMiddleware)
refuses a request for another host before robots.txt is asked for it; ``RedirectGuard`` (610)
sees a 3xx before Scrapy's RedirectMiddleware (600) follows it; ``BlockDetection`` (585) sees
the decompressed body (590) before ``PoliteRetry`` (550) could retry it, so a challenge is
never retried; ``MetaRefreshGuard`` (582) sees a decompressed page before Scrapy's
MetaRefreshMiddleware (580) follows its ``<meta http-equiv="refresh">``; ``PoliteRetry``
replaces Scrapy's RetryMiddleware.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import UTC, datetime
from time import monotonic
from urllib.parse import urljoin, urlsplit
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.response import get_meta_refresh, response_status_message
from w3lib.url import safe_url_string

from pingan_crawler import errorkinds
from pingan_crawler.crawl.glue import first_requested_url, headers_of, public_mapper, snapshot_of
from pingan_crawler.failures import Blocked, Interrupted, Refused, SiteStopped
from pingan_crawler.items import PageError
from pingan_crawler.parsing.challenge import detect_challenge, is_challenge_url
from pingan_crawler.session import record_page_error
from pingan_crawler.shutdown import drop_queued, interrupted
from pingan_crawler.sitehosts import SiteHosts, is_web_url, site_hosts

logger = logging.getLogger(__name__)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def _public(crawler: Crawler, url: str) -> str:
    return public_mapper(crawler)(url)


def _profile(crawler: Crawler):
    return getattr(crawler.spider, "profile", None)


class SiteStop:
    """Stopping one site for the rest of this run: the error row, then the spider closes.

    Shared by the middlewares that stop a site (a challenge, robots.txt failing, a long
    Retry-After): once stopped, every request still coming is dropped unsent.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.reason: str | None = None  # why the site was stopped, once it is

    def check(self) -> None:
        if self.reason:
            raise SiteStopped(f"site stopped for this run: {self.reason}")

    def stop(
        self, request: Request, response: Response | None, kind: str, detail: str, reason: str
    ) -> None:
        """Record the error with its snapshot; on the first stop, close the site's run."""
        to_public = public_mapper(self.crawler)
        url = to_public(first_requested_url(request))
        snap = snapshot_of(response, to_public, request) if response else None
        site = getattr(_profile(self.crawler), "name", "")
        status = response.status if response else None
        record_page_error(self.crawler, PageError(site, url, kind, detail, status, snap))
        self.crawler.stats.inc_value("archive/errors")
        if not self.reason:
            self.reason = f"{kind} at {url}"
            logger.error("Site stopped: %s", detail)
            # Requests already waiting in the downloader would still be sent, one download
            # delay apart, to a site that has just said stop.
            drop_queued(self.crawler, SiteStopped(f"site stopped for this run: {self.reason}"))
            # Not awaited: closing waits for this very request to finish.
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))


_STOPS: WeakKeyDictionary[Crawler, SiteStop] = WeakKeyDictionary()


def site_stop(crawler: Crawler) -> SiteStop:
    if crawler not in _STOPS:
        _STOPS[crawler] = SiteStop(crawler)
    return _STOPS[crawler]


class StayOnSite:
    """A crawl fetches from its site's hosts only (:mod:`pingan_crawler.sitehosts`).

    A request for another host fails unsent: after a redirect it is a ``refused_redirect``
    (a meta refresh off the site, say), otherwise ``offsite``. A request for the public host
    of a site fetched from a mirror goes to the mirror instead (a redirect the site spelled
    with its own host name).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._hosts: SiteHosts | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StayOnSite:
        return cls(crawler)

    def hosts(self) -> SiteHosts | None:
        if self._hosts is None and (profile := _profile(self.crawler)) is not None:
            self._hosts = site_hosts(profile)
        return self._hosts

    def process_request(self, request: Request) -> Request | None:
        profile = _profile(self.crawler)
        hosts = self.hosts()
        if profile is None or hosts is None:
            return None
        mirrored = profile.to_mirror(request.url)
        if mirrored != request.url:  # (a mirror at the public URL itself changes nothing)
            return request.replace(url=mirrored)
        if request.url in hosts:
            return None
        self.crawler.stats.inc_value("archive/offsite_refused")
        if request.meta.get("redirect_urls"):
            first = _public(self.crawler, first_requested_url(request))
            raise Refused(
                errorkinds.REFUSED_REDIRECT,
                f"{first} redirects off the site to {request.url}: not followed "
                f"(this crawl stays on {hosts.describe()})",
            )
        raise Refused(
            errorkinds.OFFSITE,
            f"{request.url} is not on the site ({hosts.describe()}): not fetched",
        )


class BlockDetection:
    """On a challenge: one ``blocked:<vendor>`` error with the snapshot, then stop the site.

    The page is never retried, solved or passed on; the crawl closes with reason ``blocked``
    (exit code 3). robots.txt answered by a challenge counts too: it passes through here.
    robots.txt answering 5xx even after retries stops the site as well (RFC 9309: an
    unreachable robots.txt means complete disallow), closing with ``robots_unavailable``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.site = site_stop(crawler)
        self.max_retry_times = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetection:
        return cls(crawler)

    @property
    def stopped(self) -> str | None:
        return self.site.reason

    def process_request(self, request: Request) -> None:
        self.site.check()
        vendor = is_challenge_url(request.url)
        if vendor:
            first = first_requested_url(request)
            self.block(request, vendor, None, f"redirected from {first} to {request.url}")

    def process_response(self, request: Request, response: Response) -> Response:
        self.site.check()
        vendor = detect_challenge(response.status, headers_of(response), response.body)
        if vendor:
            self.block(request, vendor, response, f"HTTP {response.status} challenge page")
        if self._robots_unavailable(request, response):
            url = _public(self.crawler, request.url)
            detail = (
                f"{url} answered HTTP {response.status} after retries: under RFC 9309 the "
                f"whole site counts as disallowed, so it is stopped for this run"
            )
            self.site.stop(
                request, response, errorkinds.ROBOTS_DISALLOWED, detail, "robots_unavailable"
            )
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
        self.site.stop(request, response, errorkinds.blocked(vendor), detail, "blocked")
        raise Blocked(detail)


def _check_redirect(crawler: Crawler, request: Request, target: str, how: str, response) -> None:
    """Refuse a redirect (``how``: HTTP 302, meta refresh) that leaves the web, leaves the
    site, or comes back to a URL already in this request's chain."""
    to_public = public_mapper(crawler)
    url = to_public(first_requested_url(request))
    if not is_web_url(target):
        shown = target if len(target) <= 80 else target[:77] + "…"
        raise Refused(
            errorkinds.REFUSED_REDIRECT,
            f"{url}: {how} to {shown}, which is no web page: not followed",
            response,
        )
    profile = _profile(crawler)
    if profile is not None and target not in site_hosts(profile):
        raise Refused(
            errorkinds.REFUSED_REDIRECT,
            f"{url}: {how} off the site to {target}: not followed (this crawl stays on "
            f"{site_hosts(profile).describe()})",
            response,
        )
    chain = [to_public(u) for u in (*request.meta.get("redirect_urls", []), request.url)]
    if to_public(target) in chain:
        path = " → ".join([*chain, to_public(target)])
        raise Refused(errorkinds.REDIRECT_LOOP, f"redirect loop ({how}): {path}", response)


class RedirectGuard:
    """A 3xx whose target is off the site, not a web URL, or already in this request's chain
    is refused (Scrapy would follow the first, answer the second with a bare 3xx error, and
    drop the third in its duplicate filter without a word)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        if location.startswith(b"//"):
            location = urlsplit(request.url).scheme.encode() + b":" + location
        target = urljoin(request.url, safe_url_string(location.decode("latin-1").strip()))
        _check_redirect(self.crawler, request, target, f"HTTP {response.status}", response)
        return response


class MetaRefreshGuard:
    """The same refusals for ``<meta http-equiv="refresh" content="0;url=…">`` (a loop of
    them leaves an error row, as every refused page does)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.ignore_tags = crawler.settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.max_delay = crawler.settings.getfloat("METAREFRESH_MAXDELAY")
        self.enabled = crawler.settings.getbool("METAREFRESH_ENABLED")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MetaRefreshGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not self.enabled or not isinstance(response, HtmlResponse):
            return response
        if request.meta.get("dont_redirect") or request.method == "HEAD":
            return response
        interval, target = get_meta_refresh(response, ignore_tags=self.ignore_tags)
        if target and interval is not None and interval < self.max_delay:
            _check_redirect(self.crawler, request, target, "meta refresh", response)
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

    The wait doubles per retry from ``PINGAN_RETRY_BACKOFF`` seconds. A 429 or 503 speaks for
    the whole site, so its download slot pauses for the wait too (with a download delay set,
    as on every real site). A site asking (Retry-After) for more than
    ``PINGAN_RETRY_MAX_WAIT`` seconds is obeyed, not retried early: the page is a
    ``rate_limited`` error and the crawl goes on with the rest; asking for
    ``PINGAN_RETRY_AFTER_STOP`` seconds or more stops the site for this run (a 429/503 speaks
    for every page). A wait ends early when the run is interrupted.
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("PINGAN_RETRY_BACKOFF", 2.0)
        self.max_wait = settings.getfloat("PINGAN_RETRY_MAX_WAIT", 120.0)
        self.stop_after = settings.getfloat("PINGAN_RETRY_AFTER_STOP", 600.0)

    @staticmethod
    def asked_wait(response: Response) -> float | None:
        header = response.headers.get("Retry-After")
        return retry_after_seconds(header.decode("latin-1") if header else None)

    def wait_before_retry(self, response: Response, retries: int) -> float:
        asked = self.asked_wait(response)
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

    def _too_long(self, request: Request, response: Response, asked: float) -> None:
        """A Retry-After beyond what we wait: record the page (or stop the site), never retry."""
        url = _public(self.crawler, first_requested_url(request))
        stats = self.crawler.stats
        stats.inc_value("archive/rate_limited")
        site_wide = response.status in (429, 503)
        if site_wide and asked >= self.stop_after:
            detail = (
                f"{url} answered HTTP {response.status} asking to wait {asked:.0f} s "
                f"(Retry-After), at least PINGAN_RETRY_AFTER_STOP={self.stop_after:.0f}: "
                f"site stopped for this run; crawl it again after that"
            )
            if not stats.get_value("archive/paused_url"):
                stats.set_value("archive/paused_url", url)
                stats.set_value("archive/paused_seconds", int(asked))
            site_stop(self.crawler).stop(
                request, response, errorkinds.RATE_LIMITED, detail, "rate_limited"
            )
            raise SiteStopped(detail)
        if site_wide:
            self._pause_site(request, self.max_wait)
        raise Refused(
            errorkinds.RATE_LIMITED,
            f"{url} answered HTTP {response.status} asking to wait {asked:.0f} s "
            f"(Retry-After), more than PINGAN_RETRY_MAX_WAIT={self.max_wait:.0f}: not retried "
            f"in this run; the next run asks for it again",
            response,
        )

    async def _sleep(self, wait: float) -> None:
        """Sleep ``wait`` seconds, or less if the run is interrupted meanwhile."""
        deadline = monotonic() + wait
        while not interrupted() and (left := deadline - monotonic()) > 0:
            await sleep(min(left, 0.25))
        if interrupted():
            raise Interrupted("the run was interrupted while a retry waited")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = self.asked_wait(response)
        if asked is not None and asked > self.max_wait:
            self._too_long(request, response, asked)
        retries = request.meta.get("retry_times", 0)
        if retries < request.meta.get("max_retry_times", self.max_retry_times):
            wait = self.wait_before_retry(response, retries)
            if wait > 0:
                self.crawler.stats.inc_value("retry/wait_seconds", wait)
                if response.status in (429, 503):
                    self._pause_site(request, wait)
                await self._sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response
