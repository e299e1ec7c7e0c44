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

Each returns an :class:`Outcome`. An article, its URL, its snapshots, its view-count reading
and its repost cluster are written together or not at all.
"""

from __future__ import annotations

from pingan_crawler import errorkinds
from pingan_crawler.items import ArticlePage, ListPage, PageError, SectionWalked, ViewReading
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.storage.archive import Archive
from pingan_crawler.storage.common import content_hash, now_iso
from pingan_crawler.storage.outcome import Outcome

Item = ArticlePage | ListPage | SectionWalked | ViewReading | PageError


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
    )
    if outcome in (Outcome.NEW, Outcome.UPDATED):
        archive.reposts.sign_and_cluster(article_id, article.body)
    if article.view_count is not None or article.view_count_raw:
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
