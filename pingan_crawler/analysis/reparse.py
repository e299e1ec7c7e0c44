"""Re-extract archived articles from their stored snapshots with the current parser.

No network: the page bytes and headers of each article's snapshot go through
:func:`pingan_crawler.parsing.stored.read_stored` with the site's profile, as in the crawl.
Changed fields are written back in batches (one transaction per batch); a parse that would lose
the title or the body is not written, since a page without them is not an article.

Every version is read again, not only the latest: an older version's fields are corrected in
its ``article_versions`` row. A correction is never an edit: no change is recorded.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from pingan_crawler.analysis.filters import Filters
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.stored import PageLookup, StoredPage, content_type, read_stored
from pingan_crawler.sites import ProfileError, SiteProfile, load_profile
from pingan_crawler.storage import Archive, content_hash
from pingan_crawler.storage.articles import VERSION_COLUMNS, article_row

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
    "credits",
    "byline",
    "images",
    "charset",
    "warnings",
    "counter_url",
    "counter_kind",
    "content_hash",
)
BATCH = 500


@dataclass
class ReparseReport:
    articles: int = 0
    changed: int = 0
    fields: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said, but nothing is wrong
    written: bool = True
    older_versions: int = 0  # versions before the latest, read again
    versions_changed: int = 0


@dataclass(frozen=True)
class StoredPages(StoredPage):
    """What an article is parsed from: its stored page, how it was served and when, and its
    site (whose profile parses it)."""

    site: str | None = None


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
        archive.snapshots.body(row["sha256"]),
        content_type(row["headers"]),
        datetime.fromisoformat(row["fetched_at"]) if row["fetched_at"] else None,
        row["site"],
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
    return read_stored(pages, _site_profile(pages.site), later)


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
            reparse_older_versions(archive, filters, report, dry_run)
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


# What an older version keeps of a parse, as the articles columns are named.
VERSION_FIELDS = (*VERSION_COLUMNS, "content_hash")


def reparse_older_versions(
    archive: Archive, filters: Filters | None, report: ReparseReport, dry_run: bool
) -> None:
    """Read every version before an article's latest again and correct its fields in place
    (the latest is the articles row, done by :func:`reparse`)."""
    last_id = 0
    while rows := archive.articles.older_versions_with_snapshots(last_id, BATCH):
        last_id = rows[-1]["id"]
        updates = []
        for row in rows:
            if filters is not None and filters.site and row["site"] != filters.site:
                continue
            if row["sha256"] is None:
                continue  # its page is not stored: nothing to read again
            report.older_versions += 1
            try:
                article = reextract(archive, row)
            except (KeyError, ValueError) as exc:
                report.problems.append(
                    f"article {row['article_id']} version {row['version']}: {exc}"
                )
                continue
            if article.missing:
                continue  # kept as stored, as for the latest
            fresh = article_row(article, content_hash(article.body), row["snapshot_id"])
            stored = {**row, "content_hash": row["body_hash"]}
            changes = {name: fresh[name] for name in VERSION_FIELDS if fresh[name] != stored[name]}
            if changes:
                report.versions_changed += 1
                updates.append((row["id"], changes))
        if updates and not dry_run:
            with archive.transaction():
                for version_id, changes in updates:
                    archive.articles.correct_version(version_id, changes)


def _check_profile(site: str | None, report: ReparseReport) -> None:
    """A site crawled with ``--start-url`` is named by its host and never had a profile: its
    articles are reparsed by heuristics, as they were crawled (a note). A named site whose
    profile is gone is a problem: its articles lose what the profile knew."""
    try:
        if site:
            load_profile(site)
    except ProfileError as exc:
        if _is_host(site):
            report.notes.append(
                f"site {site}: no profile (crawled by --start-url); parsed by heuristics"
            )
        else:
            report.problems.append(f"site {site}: {exc}; its articles are parsed by heuristics")


def _is_host(site: str) -> bool:
    """Profile names are identifiers; hosts (``www.x.gov.cn``, ``127.0.0.1:8080``) are not."""
    return "." in site or ":" in site
