"""A small, polite, sequential fetcher for ``pingan profile draft``.

Why not a Scrapy spider: drafting is a chain of decisions (the homepage says which list pages
to open, page 1 says whether page 2 is worth a request, the list pages say which articles to
sample), each depending on what the previous page showed. As plain sequential code that chain
stays readable, and one request at a time with the crawl's own politeness is what a crawl does
per host anyway: robots.txt (Protego, the parser Scrapy uses), the crawl's User-Agent and
download delay (waiting longer after a slow answer, as AutoThrottle would), its timeout, a hard
request budget, and anti-bot challenges recognised by ``parsing/challenge.py`` and never
retried. Loopback hosts (our own fixture server) skip the delay, as ``pingan crawl`` does.
"""

from __future__ import annotations

import gzip
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pingan_crawler.parsing.challenge import detect_challenge
from pingan_crawler.parsing.urls import is_loopback

MAX_REDIRECTS = 5


class FetchError(Exception):
    """A page that could not be fetched: unreachable, refused by robots.txt, over budget."""

    kind = "unreachable"


class RobotsRefused(FetchError):
    kind = "robots"


class BudgetSpent(FetchError):
    kind = "budget"


class Challenged(FetchError):
    """The site answered with an anti-bot challenge: stop, report, never solve it."""

    kind = "blocked"

    def __init__(self, url: str, vendor: str):
        super().__init__(f"{url}: the site answered with a {vendor} anti-bot challenge")
        self.vendor = vendor


@dataclass(frozen=True)
class Page:
    """One response: what the site sent (body after HTTP decompression), and for which URL."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand, so each hop is counted and checked against robots."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class PoliteFetcher:
    """``fetcher.get(url)`` → :class:`Page`, one request at a time, within ``budget``."""

    budget: int = 60
    user_agent: str = ""
    delay: float | None = None  # None: the crawl's DOWNLOAD_DELAY (0 on loopback hosts)
    timeout: float | None = None
    progress: bool = field(default_factory=lambda: sys.stderr.isatty())
    requests: int = 0
    log: list[tuple[str, int]] = field(default_factory=list)  # (url, status) in order
    _robots: dict = field(default_factory=dict)
    _last: float = 0.0
    _wait: float = 0.0
    _opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect)
    )

    def __post_init__(self) -> None:
        from pingan_crawler import settings

        self.user_agent = self.user_agent or settings.USER_AGENT
        self._default_delay = settings.DOWNLOAD_DELAY
        self.timeout = self.timeout or settings.DOWNLOAD_TIMEOUT

    @property
    def left(self) -> int:
        return self.budget - self.requests

    def get(self, url: str, form: dict[str, str] | None = None) -> Page:
        """Fetch ``url`` (POSTing ``form`` if given; following redirects); a 4xx/5xx page is
        returned, not raised."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_robots(current)
            page = self._fetch(current, form)
            form = None  # a redirect after a POST is a GET
            vendor = detect_challenge(page.status, page.headers, page.body)
            if vendor:
                raise Challenged(current, vendor)
            location = page.headers.get("location")
            if page.status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                continue
            return Page(url, current, page.status, page.headers, page.body)
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    # --- robots.txt ---------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if rules is None:
            return
        if not rules.can_fetch(url, self.user_agent):
            raise RobotsRefused(f"{url}: robots.txt of {origin} does not allow this crawler")

    def _load_robots(self, origin: str):
        """Protego rules, or None (allow all). RFC 9309: a 4xx robots.txt allows everything,
        a 5xx one means "assume disallowed"; a challenge served as robots.txt stops the site."""
        from protego import Protego

        page = self._fetch(origin + "/robots.txt")
        vendor = detect_challenge(page.status, page.headers, page.body)
        if vendor:
            raise Challenged(origin + "/robots.txt", vendor)
        if 400 <= page.status < 500:
            return None
        if page.status >= 500:
            raise RobotsRefused(
                f"{origin}/robots.txt answered HTTP {page.status}: assumed disallowed (RFC 9309); "
                f"try again later"
            )
        if page.status >= 300:  # a redirect we do not follow for robots.txt: allow, as Scrapy
            return None
        rules = Protego.parse(page.body.decode("utf-8", "replace"))
        delay = rules.crawl_delay(self.user_agent)
        if delay and not is_loopback(origin):
            self._default_delay = max(self._default_delay, float(delay))
        return rules

    # --- one request ---------------------------------------------------------------------

    def _fetch(self, url: str, form: dict[str, str] | None = None) -> Page:
        if self.requests >= self.budget:
            raise BudgetSpent(f"request budget of {self.budget} spent before {url}")
        self._pause(url)
        self.requests += 1
        if self.progress:
            print(f"\r[{self.requests}/{self.budget}] {url[:100]:<100}", end="", file=sys.stderr)
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Encoding": "gzip, deflate",
                "Accept-Language": "zh-CN,zh;q=0.9",
            },
        )
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:  # 3xx (not followed here), 4xx, 5xx
            status, headers, raw = exc.code, exc.headers, exc.read()
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"{url}: cannot connect ({reason})") from exc
        finally:
            self._last = time.monotonic()
            self._wait = self._last - started  # a slow site gets a longer pause
        flat = {name.lower(): value for name, value in headers.items()}
        body = _decompress(raw, flat.get("content-encoding", ""))
        self.log.append((url, status))
        return Page(url, url, status, flat, body)

    def _pause(self, url: str) -> None:
        delay = self.delay if self.delay is not None else self._default_delay
        if is_loopback(url):
            delay = self.delay or 0.0
        wait = max(delay, min(self._wait, 30.0) if delay else 0.0)
        pause = self._last + wait - time.monotonic()
        if self._last and pause > 0:
            time.sleep(pause)

    def done(self) -> None:
        """End the progress line."""
        if self.progress and self.requests:
            print("\r" + " " * 110 + "\r", end="", file=sys.stderr)


def _decompress(raw: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(raw)
        if encoding == "deflate":
            try:
                return zlib.decompress(raw)
            except zlib.error:
                return zlib.decompress(raw, -zlib.MAX_WBITS)
    except (OSError, zlib.error, EOFError):
        return raw
    return raw
