"""What the crawl side reads off Scrapy's objects, in one place.

A response's headers as text, its Content-Type, the URL it was first asked for (before any
redirect), its public URL (a mirror's URL mapped back to the site's), the snapshot that stores
it, and Scrapy's close reason in our words. Spiders, middlewares and extensions all use these,
so each fact is read one way. Scrapy types appear here only as annotations: importing this
module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pingan_crawler.items import Snapshot
from pingan_crawler.parsing.dates import SHANGHAI

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

# Scrapy closes a spider with "shutdown" on SIGTERM/SIGINT: for us the run was interrupted.
INTERRUPTED = "interrupted"


def end_reason(scrapy_reason: str) -> str:
    """A crawl's finish reason as the archive, summaries and exit codes name it."""
    return INTERRUPTED if scrapy_reason == "shutdown" else scrapy_reason


def headers_of(response: Response) -> dict[str, list[str]]:
    """Every header, every value, as text (latin-1, as HTTP/1 defines them)."""
    return {
        name.decode("latin-1"): [v.decode("latin-1") for v in values]
        for name, values in response.headers.items()
    }


def content_type_of(response: Response) -> str:
    return response.headers.get("Content-Type", b"").decode("latin-1")


def first_requested_url(request_or_response: Request | Response) -> str:
    """The URL first asked for, before any redirect (Scrapy keeps the chain in meta)."""
    return request_or_response.meta.get("redirect_urls", [request_or_response.url])[0]


def public_mapper(crawler: Crawler) -> Callable[[str], str]:
    """The running spider's mirror → public URL mapping (identity when it has no profile)."""
    profile = getattr(crawler.spider, "profile", None)
    return profile.to_public if profile is not None else str


@dataclass(frozen=True)
class Fetched:
    """One response as the crawl's logic sees it: public URLs, text headers, the body.

    Built once per response (:func:`fetched`), so each URL is mapped to its public form once,
    and everything downstream (parsing, the snapshot, error items) uses these values.
    """

    url: str  # public URL the bytes came from (after redirects)
    requested_url: str  # public URL that was asked for (before redirects)
    fetched_url: str  # where the bytes really came from (the mirror, if any)
    status: int
    headers: dict[str, list[str]]
    content_type: str
    body: bytes
    redirected: bool = False

    def snapshot(self, charset: str | None = None) -> Snapshot:
        """The page as the archive stores it: bytes untouched, fetched now."""
        return Snapshot(
            url=self.url,
            status=self.status,
            headers=self.headers,
            body=self.body,
            fetched_at=datetime.now(SHANGHAI),
            fetched_url=self.fetched_url,
            charset=charset,
        )


def fetched(
    response: Response, to_public: Callable[[str], str] = str, request: Request | None = None
) -> Fetched:
    """Read a response once; ``to_public`` maps a fetched URL to the site's public one.

    ``request`` is the response's request where Scrapy has not tied them yet (a downloader
    middleware's ``process_response``).
    """
    url = to_public(response.url)
    request = request if request is not None else response.request
    chain = request.meta.get("redirect_urls") if request is not None else None
    return Fetched(
        url=url,
        requested_url=to_public(chain[0]) if chain else url,
        fetched_url=response.url,
        status=response.status,
        headers=headers_of(response),
        content_type=content_type_of(response),
        body=response.body,
        redirected=bool(chain),
    )


def snapshot_of(
    response: Response, to_public: Callable[[str], str] = str, request: Request | None = None
) -> Snapshot:
    """The snapshot of a response nobody parses (a challenge page, a failed request's body)."""
    return fetched(response, to_public, request).snapshot()
