"""Storing what a crawl yields: plain functions over an :class:`Archive`, one call per item.

The crawl's pipelines (pingan_crawler/pipelines.py), ``pingan ingest`` and the error recording
of middlewares and extensions all store through these:

- :func:`validate`: an article page without a title or a body is not an article; it becomes a
  :class:`PageError` (its snapshot kept), never an article row.
- :func:`identify`: an article's identity, its canonical URL and body hash.
- :func:`write`: store one item inside the caller's transaction (``with
  archive.transaction():``), so a writer can commit one item or a batch together; it validates
  and identifies what was not yet.
- :func:`store`: :func:`write` in a transaction of its own.
- :func:`accept`: what the three pipelines do, for a writer without Scrapy: validate,
  identify, drop a repeat of the run, write.

Each returns an :class:`Outcome`. An article, its URL, its snapshots, its view-count reading,
its new version if it was edited, and its repost cluster are written together or not at all.
``pingan recheck``'s :class:`ArticleGone` (a takedown) and :class:`ArticleUnmodified` (a 304)
are items too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pingan_crawler import errorkinds
from pingan_crawler.items import (
    ArticleGone,
    ArticlePage,
    ArticleUnmodified,
    ListPage,
    PageError,
    SectionWalked,
    ViewReading,
)
from pingan_crawler.parsing.diff import Fields
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.storage.archive import Archive
from pingan_crawler.storage.common import content_hash, now_iso
from pingan_crawler.storage.outcome import Outcome

Recheck = ArticleGone | ArticleUnmodified
Item = ArticlePage | ListPage | SectionWalked | ViewReading | PageError | Recheck


def validate(item: Item) -> Item:
    """The item, or for an article page missing its title or body, the error it becomes."""
    if not isinstance(item, ArticlePage) or not item.article.missing:
        return item
    missing = " and ".join(item.article.missing)
    return PageError(
        item.site,
        item.snapshot.url,
        kind=errorkinds.NOT_AN_ARTICLE,
        detail=(
            f"{item.snapshot.url}: page has no {missing} (an empty shell, a page of links, or a "
            f"template the profile's selectors do not fit)"
        ),
        http_status=item.snapshot.status,
        snapshot=item.snapshot,
        warnings=item.article.warnings,
    )


def identify(item: Item) -> Item:
    """Fill an article page's canonical URL and body hash (the keys it is stored under)."""
    if isinstance(item, ArticlePage):
        item.canonical_url = canonical_url(item.article.url)
        item.content_hash = content_hash(item.article.body)
    return item


def store(archive: Archive, crawl_id: int | None, item: Item) -> Outcome:
    """Store one item in its own transaction."""
    with archive.transaction():
        return write(archive, crawl_id, item)


def accept(archive: Archive, crawl_id: int | None, item: Item, stored_urls: set[str]) -> Outcome:
    """Validate, identify and write one item inside the caller's transaction, unless this run
    stored its canonical URL already (``stored_urls``: the run's, updated here)."""
    if isinstance(item, ArticlePage) and not item.article.missing:
        identify(item)
        if item.canonical_url in stored_urls:
            return Outcome.REPEAT
        stored_urls.add(item.canonical_url)
    return write(archive, crawl_id, item)


def write(archive: Archive, crawl_id: int | None, item: Item) -> Outcome:
    """Store one item inside the caller's transaction; what it did."""
    if isinstance(item, ArticlePage):
        return write_article(archive, crawl_id, item)
    if isinstance(item, ListPage):
        return write_list_page(archive, crawl_id, item)
    if isinstance(item, SectionWalked):
        archive.crawls.mark_walked(item.site, item.section, item.reason, crawl_id)
        return Outcome.WALKED
    if isinstance(item, ViewReading):
        return write_view_reading(archive, crawl_id, item)
    if isinstance(item, PageError):
        return write_error(archive, crawl_id, item)
    if isinstance(item, ArticleGone):
        return write_gone(archive, crawl_id, item)
    if isinstance(item, ArticleUnmodified):
        return write_unmodified(archive, crawl_id, item)
    raise TypeError(f"not an item the archive stores: {type(item).__name__}")


def write_article(archive: Archive, crawl_id: int | None, page: ArticlePage) -> Outcome:
    """An article page with its later pages' and counter's snapshots and its view reading.

    A page that is not an article is stored as its error (``REJECTED``).
    """
    checked = validate(page)
    if checked is not page:
        write_error(archive, crawl_id, checked)
        return Outcome.REJECTED
    if not page.canonical_url or not page.content_hash:
        identify(page)
    article, site = page.article, page.article.site or ""
    snapshot_id = archive.snapshots.put(page.snapshot, site, "article", crawl_id)
    for extra in page.extra_snapshots:
        archive.snapshots.put(extra, site, "article", crawl_id)
    article_id, outcome = archive.articles.write(
        article,
        url=page.canonical_url,
        body_hash=page.content_hash,
        section=page.listed_section,
        snapshot_id=snapshot_id,
        seen=now_iso(),
        crawl_id=crawl_id,
        http_status=page.snapshot.status,
        baseline=lambda: reread_current(archive, page),
    )
    if outcome in (Outcome.NEW, Outcome.UPDATED, Outcome.RESTORED_EDITED):
        archive.reposts.sign_and_cluster(article_id, article.body)
    gone = outcome in (Outcome.REMOVED, Outcome.STILL_REMOVED)  # another page at its URL
    if not gone and (article.view_count is not None or article.view_count_raw):
        archive.articles.add_view_reading(
            article_id,
            observed_at=page.snapshot.fetched_at,
            count=article.view_count,
            raw=article.view_count_raw,
            method=article.view_method,
            counter_url=None if article.view_method == "page" else article.counter_url,
            crawl_id=crawl_id,
        )
    return outcome


def reread_current(archive: Archive, page: ArticlePage) -> Fields | None:
    """The fields of the article's current version, read again from its stored page by
    today's parser (None when that page is not stored or cannot be read).

    Asked by the write path only when a re-fetched page's fields differ from the stored ones:
    a field the parser reads differently from the same kind of page (a parser that improved
    since, a profile that changed) is then no edit. Parsing here is lazy and rare.
    """
    stored = archive.articles.version_page(page.canonical_url)
    if stored is None:
        return None
    if stored["sha256"] == page.snapshot.sha256:
        return Fields.of_article(page.article)  # the very bytes: any difference is the parser's
    from pingan_crawler.parsing.stored import StoredPage, content_type, read_stored
    from pingan_crawler.sites import ProfileError, load_profile

    try:
        profile = load_profile(page.site) if page.site else None
    except ProfileError:
        profile = None  # a site crawled without a profile: read as it was, by heuristics
    try:
        body = archive.snapshots.body(stored["sha256"])
    except (KeyError, ValueError):
        return None
    fetched = datetime.fromisoformat(stored["fetched_at"]) if stored["fetched_at"] else None
    first = StoredPage(stored["url"], body, content_type(stored["headers"]), fetched)
    return Fields.of_article(read_stored(first, profile, _later_page(archive)))


def _later_page(archive: Archive) -> Callable[[str], tuple[bytes, str | None] | None]:
    from pingan_crawler.parsing.stored import content_type

    def lookup(url: str) -> tuple[bytes, str | None] | None:
        stored = archive.snapshots.latest(url)
        return (stored[0], content_type(stored[1])) if stored else None

    return lookup


def write_gone(archive: Archive, crawl_id: int | None, gone: ArticleGone) -> Outcome:
    """An archived URL that says its article is gone: the page that said so, and the removal
    (``STILL_REMOVED`` when it was already; ``GONE_UNKNOWN`` for a URL not archived)."""
    snapshot_id = (
        archive.snapshots.put(gone.snapshot, gone.site, "error", crawl_id)
        if gone.snapshot
        else None
    )
    _id, outcome = archive.articles.mark_removed(
        gone.url,
        detail=gone.detail,
        http_status=gone.http_status,
        snapshot_id=snapshot_id,
        seen=gone.observed_at.isoformat(timespec="seconds"),
        crawl_id=crawl_id,
    )
    return outcome


def write_unmodified(archive: Archive, crawl_id: int | None, seen: ArticleUnmodified) -> Outcome:
    """An archived URL that answered 304 Not Modified: seen unchanged."""
    _id, outcome = archive.articles.mark_unmodified(
        seen.url,
        seen=seen.observed_at.isoformat(timespec="seconds"),
        crawl_id=crawl_id,
        http_status=seen.http_status,
    )
    return outcome


def write_list_page(archive: Archive, crawl_id: int | None, page: ListPage) -> Outcome:
    """A list page's snapshot and the articles it lists (which section lists what)."""
    archive.snapshots.put(page.snapshot, page.site, "list", crawl_id)
    archive.articles.add_listings(page.site, page.section, page.snapshot.url, page.links, now_iso())
    return Outcome.LISTED


def write_view_reading(archive: Archive, crawl_id: int | None, reading: ViewReading) -> Outcome:
    """One more reading of an archived article's view count (``VIEW_UNKNOWN``: no such URL)."""
    article_id = archive.articles.id_of(reading.url)
    if article_id is None:
        return Outcome.VIEW_UNKNOWN
    archive.articles.add_view_reading(
        article_id,
        observed_at=reading.observed_at,
        count=reading.count,
        raw=reading.raw,
        method=reading.method,
        counter_url=reading.counter_url,
        crawl_id=crawl_id,
        latest=True,
    )
    return Outcome.VIEW_READ


def write_error(archive: Archive, crawl_id: int | None, error: PageError) -> Outcome:
    """An error row, with the page's snapshot when a body arrived."""
    snapshot_id = (
        archive.snapshots.put(error.snapshot, error.site, "error", crawl_id)
        if error.snapshot
        else None
    )
    archive.crawls.add_error(
        crawl_id,
        error.url,
        error.kind,
        error.detail,
        http_status=error.http_status,
        snapshot_id=snapshot_id,
        warnings=error.warnings,
    )
    return Outcome.ERROR
