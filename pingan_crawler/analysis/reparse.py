"""Re-extract archived articles from their stored snapshots with the current parser.

No network: the page bytes and headers of each article's snapshot go through
:func:`pingan_crawler.parsing.article.extract_article` with the site's profile, as in the crawl.
Changed fields are written back in batches (one transaction per batch); a parse that would lose
the title or the body is not written, since a page without them is not an article.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from pingan_crawler.analysis.filters import Filters
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.multipage import join_pages, next_missing_page
from pingan_crawler.sites import ProfileError, SiteProfile, load_profile
from pingan_crawler.storage import Archive, content_hash
from pingan_crawler.storage.articles import article_row

# What a page says. Left alone: view counts (later readings replace the page's), the section
# (from the listing the article was found in), the snapshot and the crawl dates.
FIELDS = (
    "title",
    "published_at",
    "published_raw",
    "published_precision",
    "body",
    "body_html",
    "source",
    "editor",
    "author",
    "images",
    "charset",
    "warnings",
    "content_hash",
)
BATCH = 500


@dataclass
class ReparseReport:
    articles: int = 0
    changed: int = 0
    fields: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    written: bool = True


def content_type(headers: dict[str, list[str]]) -> str | None:
    """The Content-Type a snapshot was served with (it may name the charset)."""
    for name, values in headers.items():
        if name.lower() == "content-type" and values:
            return values[0] if isinstance(values, list) else str(values)
    return None


@dataclass(frozen=True)
class StoredPages:
    """What an article is parsed from: its stored page and how it was served and when."""

    url: str
    site: str | None
    body: bytes
    content_type: str | None
    fetched_at: datetime | None


# A stored page looked up by URL: its bytes and the Content-Type it was served with.
PageLookup = Callable[[str], tuple[bytes, str | None] | None]


def stored_page(archive: Archive, url: str) -> tuple[bytes, str | None] | None:
    """The latest stored snapshot of ``url`` (a later page of a multi-page article), if any."""
    stored = archive.snapshots.latest(url)
    return (stored[0], content_type(stored[1])) if stored else None


def stored_pages(archive: Archive, row: dict) -> StoredPages:
    """The stored first page of one article; raises KeyError/ValueError if unreadable.

    Later pages of a multi-page article are found while parsing (the first page names them)
    and read through :func:`stored_page`.
    """
    return StoredPages(
        row["url"],
        row["site"],
        archive.snapshots.body(row["sha256"]),
        content_type(row["headers"]),
        datetime.fromisoformat(row["fetched_at"]) if row["fetched_at"] else None,
    )


@functools.cache
def _site_profile(site: str | None) -> SiteProfile | None:
    try:
        return load_profile(site) if site else None
    except ProfileError:
        return None


def parse_pages(pages: StoredPages, later: PageLookup = lambda _url: None) -> Article:
    """Parse with the site's current profile, judging dates as of the fetch; a multi-page
    article is joined from the stored snapshots of its later pages, as the crawl joined it."""
    profile = _site_profile(pages.site)
    done = [
        extract_article(pages.body, pages.url, profile, pages.content_type, now=pages.fetched_at)
    ]
    while following := next_missing_page(done):
        stored = later(following)
        if stored is None:  # never fetched (the crawl noted it): join what there is
            missing = f"later page {following} could not be fetched"
            done = [replace(page, continuations=()) for page in done]
            done[0] = replace(done[0], warnings=(*done[0].warnings, missing))
            break
        body, served_as = stored
        done.append(extract_article(body, following, profile, served_as, now=pages.fetched_at))
    return join_pages(done[0], done[1:])


def reextract(archive: Archive, row: dict) -> Article:
    """The article parsed again from its stored snapshots."""
    return parse_pages(stored_pages(archive, row), lambda url: stored_page(archive, url))


def changed_fields(row: dict, article: Article) -> dict:
    """Stored values that the new extraction would change, as column → new value."""
    fresh = article_row(article, content_hash(article.body), row["snapshot_id"])
    return {name: fresh[name] for name in FIELDS if fresh[name] != row[name]}


def reparse(
    archive: Archive,
    filters: Filters | None = None,
    dry_run: bool = False,
) -> ReparseReport:
    """Reparse every matching article; returns per-field change counts and any problems.

    One process: worker processes were measured no faster on the shared 2-core machine
    (pickling pages and articles costs what the second core gains).
    """
    report = ReparseReport(written=not dry_run)
    sites: set[str] = set()
    last_id = 0
    while True:
        rows = archive.articles.with_snapshots(FIELDS, filters, last_id, BATCH)
        if not rows:
            return report
        last_id = rows[-1]["id"]
        report.articles += len(rows)
        readable = []
        for row in rows:
            if row["site"] not in sites:
                sites.add(row["site"])
                _check_profile(row["site"], report)
            if row["sha256"] is None:
                report.problems.append(f"article {row['id']} ({row['url']}): no snapshot stored")
                continue
            try:
                readable.append((row, stored_pages(archive, row)))
            except (KeyError, ValueError) as exc:  # body missing or damaged
                report.problems.append(f"article {row['id']} ({row['url']}): {exc}")
        updates = []
        for row, pages in readable:
            article = parse_pages(pages, lambda url: stored_page(archive, url))
            if article.missing:
                report.problems.append(
                    f"article {row['id']} ({row['url']}): the parser now finds no "
                    f"{' and '.join(article.missing)}; kept as stored"
                )
                continue
            changes = changed_fields(row, article)
            if changes:
                report.changed += 1
                report.fields.update(changes.keys())
                updates.append((row["id"], changes))
        if updates and not dry_run:
            with archive.transaction():
                for article_id, changes in updates:
                    archive.articles.correct(article_id, changes)


def _check_profile(site: str | None, report: ReparseReport) -> None:
    try:
        if site:
            load_profile(site)
    except ProfileError as exc:
        report.problems.append(f"site {site}: {exc}; its articles are parsed by heuristics")
