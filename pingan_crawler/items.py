"""What the spider hands to the pipelines: plain dataclasses, no Scrapy types inside."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from pingan_crawler.parsing.model import Article, Link


@dataclass(frozen=True)
class Snapshot:
    """One fetched page: the body bytes as Scrapy received them, plus the HTTP metadata.

    ``url`` is the page's public URL; ``fetched_url`` where the bytes actually came from (the
    same, unless the site was crawled from a mirror or a local copy).
    """

    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: datetime
    fetched_url: str = ""
    charset: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class ListPage:
    """A section list page and the article links found on it."""

    site: str
    section: str
    page: int
    snapshot: Snapshot
    links: list[Link]


@dataclass
class ArticlePage:
    """An article page and what the parser read from it; the dedup pipeline fills the keys."""

    site: str
    listed_section: str | None
    snapshot: Snapshot
    article: Article
    canonical_url: str = ""
    content_hash: str = ""
    # Later pages of a multi-page article and the view counter's reply, each stored too.
    extra_snapshots: list[Snapshot] = field(default_factory=list)


@dataclass
class SectionWalked:
    """A section's list was walked to its end, or to a page of known articles."""

    site: str
    section: str
    reason: str


@dataclass
class ViewReading:
    """A view count read again later (``pingan refresh-views``)."""

    site: str
    url: str
    count: int | None
    raw: str | None
    method: str
    observed_at: datetime
    counter_url: str | None = None  # the counter script the count came from, if not the page


@dataclass
class PageError:
    """A request that gave no article: failed, refused, or not an article (no title, no body).

    Stored as an ``errors`` row, with the snapshot when a body arrived.
    """

    site: str
    url: str
    kind: str
    detail: str
    http_status: int | None = None
    snapshot: Snapshot | None = None
    warnings: tuple[str, ...] = field(default=())


@dataclass
class ArticleGone:
    """An archived article's URL now says it is gone (``pingan recheck``): a 404 or 410, a
    removal notice answered as 200, or a redirect to the homepage, a list or another article.

    ``url`` is the archived URL that was asked for; ``detail`` says what came back, in words.
    """

    site: str
    url: str
    detail: str
    http_status: int | None
    observed_at: datetime
    snapshot: Snapshot | None = None  # the page that said so, when a body came


@dataclass
class ArticleUnmodified:
    """An archived article's URL answered 304 Not Modified to the validators of its latest
    fetch: seen unchanged, without its bytes."""

    site: str
    url: str
    observed_at: datetime
    http_status: int = 304
