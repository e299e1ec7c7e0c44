"""An article read again from pages fetched earlier: the stored bytes and headers, no network.

``pingan reparse`` reads every stored version this way, and the archive's write path reads an
article's current version this way before it calls a re-fetched page an edit: the same parser
on the old bytes and on the new, so a parser that got better in between is never taken for an
editor. A multi-page article is joined from the stored snapshots of its later pages, as the
crawl joined it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.multipage import join_pages, next_missing_page
from pingan_crawler.sites import SiteProfile

# A stored page looked up by URL: its bytes and the Content-Type it was served with.
PageLookup = Callable[[str], tuple[bytes, str | None] | None]


def content_type(headers: Mapping[str, Sequence[str] | str]) -> str | None:
    """The Content-Type a snapshot was served with (it may name the charset)."""
    for name, values in headers.items():
        if name.lower() == "content-type" and values:
            return values[0] if isinstance(values, list) else str(values)
    return None


@dataclass(frozen=True)
class StoredPage:
    """An article's stored first page: its bytes, how it was served and when."""

    url: str
    body: bytes
    content_type: str | None
    fetched_at: datetime | None


def read_stored(
    page: StoredPage, profile: SiteProfile | None, later: PageLookup = lambda _url: None
) -> Article:
    """Parse a stored page with ``profile``, judging dates as of its fetch; later pages come
    from ``later`` (a page never fetched is noted in the warnings, as the crawl notes it)."""
    done = [extract_article(page.body, page.url, profile, page.content_type, now=page.fetched_at)]
    while following := next_missing_page(done):
        stored = later(following)
        if stored is None:
            missing = f"later page {following} could not be fetched"
            done = [replace(part, continuations=()) for part in done]
            done[0] = replace(done[0], warnings=(*done[0].warnings, missing))
            break
        body, served_as = stored
        done.append(extract_article(body, following, profile, served_as, now=page.fetched_at))
    return join_pages(done[0], done[1:])
