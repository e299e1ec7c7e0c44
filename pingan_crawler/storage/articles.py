"""Articles and what is known about them: ``articles`` (one row per article, its latest
version's fields, its status and its full-text index ``articles_fts``), ``article_versions``
(every distinct version), ``article_changes`` (every edit, removal and restore seen),
``article_urls`` (every URL it was found under), ``listings`` (which section lists which URL)
and ``view_counts`` (each reading of its views).

:meth:`Articles.write` is the one place an article row is inserted or changed by a crawl or a
recheck: a known URL that now says something else gets a new version (an ``edited`` change), a
removed one seen live again is ``restored``, a new URL whose body is archived becomes another
URL of that article, anything else is a new article with its first version.
:meth:`Articles.mark_removed` and :meth:`Articles.mark_unmodified` record what ``pingan
recheck`` sees without a page to parse. ``articles.cluster_id`` belongs to storage/reposts.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlite_utils import Database

from pingan_crawler.parsing.diff import Fields, field_changes, is_edit, same_article
from pingan_crawler.parsing.model import Article, Link
from pingan_crawler.storage.common import as_dicts, insert_row, require_transaction
from pingan_crawler.storage.outcome import Outcome
from pingan_crawler.storage.selection import Selection

# Bodies shorter than this are too generic to prove two pages are the same article.
MIN_DEDUP_BODY_CHARS = 80
# The trigram index finds substrings of at least this many characters; shorter ones are scanned.
TRIGRAM = 3
SEARCH_ORDERS = ("relevance", "recent")
# An article's status, and the kinds of change article_changes records.
LIVE, REMOVED = "live", "removed"
EDITED, RESTORED = "edited", "restored"
CHANGE_KINDS = (EDITED, REMOVED, RESTORED)
# The columns a version keeps (beside its hash, snapshot and dates).
VERSION_COLUMNS = (
    "title",
    "published_at",
    "published_raw",
    "published_precision",
    "source",
    "editor",
    "author",
    "body",
)
# A recheck is due this share of its interval after the last check, so a nightly cron that
# starts a few minutes early still rechecks what is due daily.
DUE_AT = 0.9


class Observation(NamedTuple):
    """One look at an archived URL: where, when, in which run, what status, which page."""

    url: str
    at: str
    crawl_id: int | None
    http_status: int | None
    snapshot_id: int | None


class RecheckTarget(NamedTuple):
    """An archived article to look at again (:meth:`Articles.validators` gives the ETag and
    Last-Modified to ask with)."""

    article_id: int
    url: str
    status: str
    pages: int


def credits_json(credits: Sequence[tuple[str, Sequence[str]]]) -> str:
    """``credits`` as stored: JSON ``[[role, [names]], …]`` in page order (``[]``: none)."""
    return json.dumps([[role, list(names)] for role, names in credits], ensure_ascii=False)


def article_row(article: Article, body_hash: str, snapshot_id: int | None) -> dict:
    """The columns an article's parse fills (everything but URL, section and the dates)."""
    return {
        "site": article.site,
        "section": article.section,
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "published_raw": article.published_raw,
        "published_precision": article.published_precision,
        "view_count": article.view_count,
        "view_count_raw": article.view_count_raw,
        "body": article.body,
        "body_html": article.body_html,
        "source": article.source,
        "editor": article.editor,
        "author": article.author,
        "images": json.dumps(list(article.images), ensure_ascii=False),
        "charset": article.charset,
        "counter_url": article.counter_url,
        "counter_kind": article.counter_kind,
        "credits": credits_json(article.credits),
        "byline": article.byline,
        "pages": article.pages,
        "warnings": json.dumps(list(article.warnings), ensure_ascii=False),
        "content_hash": body_hash,
        "snapshot_id": snapshot_id,
    }


def interval_for(age_days: float | None, schedule: Sequence[tuple[float | None, float]]) -> float:
    """The recheck interval (days) of an article ``age_days`` old under ``schedule``."""
    for max_age, interval in schedule:
        if max_age is None or (age_days is not None and age_days < max_age):
            return interval
    return schedule[-1][1]


def fts_string(term: str) -> str:
    """``term`` as an FTS5 string literal: quotes doubled, so no character is syntax."""
    return '"' + term.replace('"', '""') + '"'


class Articles:
    """Owns articles, articles_fts, article_urls, listings and view_counts."""

    def __init__(self, db: Database):
        self.db = db

    # -- the crawl's writes (inside the caller's transaction) ------------------------------------
    def write(
        self,
        article: Article,
        *,
        url: str,
        body_hash: str,
        section: str | None,
        snapshot_id: int,
        seen: str,
        crawl_id: int | None = None,
        http_status: int | None = 200,
        baseline: Callable[[], Fields | None] | None = None,
    ) -> tuple[int, Outcome]:
        """Store one parsed article fetched at canonical ``url``; its id and what happened.

        ``section`` is the section it was listed in (the page's own, if it names one, wins);
        ``seen`` the time stamped on first_seen/last_seen. A known URL that now says something
        else (:func:`~pingan_crawler.parsing.diff.field_changes`) gets a new version and an
        ``edited`` change; a removed one fetched live is ``restored``. ``baseline`` gives the
        current version's stored page read again by today's parser: asked only when fields
        differ, so a field that the parser reads differently, not the page, is no edit.
        """
        require_transaction(self.db, "Articles.write")
        known = self.db.execute(
            "SELECT a.* FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            [url],
        )
        row = next(as_dicts(known), None)
        if row:
            observed = Observation(url, seen, crawl_id, http_status, snapshot_id)
            outcome = self._seen_again(row, article, body_hash, observed, baseline)
            self.db.execute("UPDATE article_urls SET last_seen = ? WHERE url = ?", [seen, url])
            return row["id"], outcome
        twin = None
        if len(article.body) >= MIN_DEDUP_BODY_CHARS:
            twin = self.db.execute(
                "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [body_hash]
            ).fetchone()
        listed_in = article.section or section
        if twin:
            article_id, outcome = twin[0], Outcome.DUPLICATE
            self.db.execute("UPDATE articles SET last_seen = ? WHERE id = ?", [seen, article_id])
        else:
            row = article_row(article, body_hash, snapshot_id)
            row.update(url=url, section=listed_in, first_seen=seen, last_seen=seen)
            row.update(status=LIVE, status_since=seen, checked_at=seen)
            article_id, outcome = insert_row(self.db, "articles", row), Outcome.NEW
            self._add_version(article_id, 1, row, crawl_id)
        insert_row(
            self.db,
            "article_urls",
            {
                "url": url,
                "article_id": article_id,
                "site": article.site,
                "section": listed_in,
                "first_seen": seen,
                "last_seen": seen,
            },
        )
        return article_id, outcome

    def _seen_again(
        self,
        row: dict,
        article: Article,
        body_hash: str,
        observed: Observation,
        baseline: Callable[[], Fields | None] | None,
    ) -> Outcome:
        """A known article fetched again: the same version, an edit, or back from removal."""
        article_id, seen = row["id"], observed.at
        stored, new = Fields.of_row(row), Fields.of_article(article)
        if row["content_hash"] == body_hash:
            stored = replace(stored, body=new.body)  # the same text: no passage to compare
        changes = field_changes(stored, new)
        reread = baseline() if changes and baseline is not None else None
        if reread is not None:  # only what the old page, read today, says otherwise
            still = field_changes(reread, new)
            changes = {name: diff for name, diff in changes.items() if name in still}
        edited = is_edit(changes)
        if edited and not any(
            same_article(old.title, old.body, new.title, new.body)
            for old in (stored, reread)
            if old is not None
        ):
            return self._replaced(row, article, observed)
        version = self._current_version(row, observed.crawl_id)
        fields = {"last_seen": seen, "checked_at": seen}
        restored = row["status"] == REMOVED
        if restored:
            fields.update(status=LIVE, status_since=seen)
            self._add_change(
                article_id,
                RESTORED,
                observed,
                detail=f"HTTP {observed.http_status}: the article is back",
                versions=(version, version + 1 if edited else version),
            )
        if edited:
            fields.update(article_row(article, body_hash, observed.snapshot_id))
            fields.pop("section")  # the section it was first listed in stays
            self._add_version(
                article_id, version + 1, {**fields, "first_seen": seen}, observed.crawl_id
            )
            self._add_change(
                article_id, EDITED, observed, changes=changes, versions=(version, version + 1)
            )
        else:
            self._touch_version(article_id, version, seen)
            if row.get("credits") is None:  # stored before m011: fill what it lacked
                fresh = article_row(article, body_hash, observed.snapshot_id)
                fields.update({k: fresh[k] for k in ("credits", "byline", "counter_kind")})
        self._update(article_id, fields)
        if restored:
            return Outcome.RESTORED_EDITED if edited else Outcome.RESTORED
        return Outcome.UPDATED if edited else Outcome.UNCHANGED

    def _replaced(self, row: dict, article: Article, observed: Observation) -> Outcome:
        """The URL now shows another page (neither the title nor much of the text is the
        article's): the article is gone from it, and nothing of that page is stored as it."""
        url, seen = observed.url, observed.at
        detail = f"{url} now shows another page ({article.title!r})"
        if row["status"] == REMOVED:
            self._update(row["id"], {"checked_at": seen})
            return Outcome.STILL_REMOVED
        version = self._current_version(row, observed.crawl_id)
        self._add_change(row["id"], REMOVED, observed, detail=detail, versions=(version, None))
        self._update(row["id"], {"status": REMOVED, "status_since": seen, "checked_at": seen})
        return Outcome.REMOVED

    def mark_removed(
        self,
        url: str,
        *,
        detail: str,
        http_status: int | None,
        snapshot_id: int | None,
        seen: str,
        crawl_id: int | None = None,
    ) -> tuple[int | None, Outcome]:
        """An archived URL that now says its article is gone (``pingan recheck``)."""
        require_transaction(self.db, "Articles.mark_removed")
        row = self._row_of(url)
        if row is None:
            return None, Outcome.GONE_UNKNOWN
        fields = {"checked_at": seen}
        if row["status"] == REMOVED:
            self._update(row["id"], fields)
            return row["id"], Outcome.STILL_REMOVED
        version = self._current_version(row, crawl_id)
        observed = Observation(url, seen, crawl_id, http_status, snapshot_id)
        self._add_change(row["id"], REMOVED, observed, detail=detail, versions=(version, None))
        self._update(row["id"], {**fields, "status": REMOVED, "status_since": seen})
        return row["id"], Outcome.REMOVED

    def mark_unmodified(
        self, url: str, *, seen: str, crawl_id: int | None = None, http_status: int = 304
    ) -> tuple[int | None, Outcome]:
        """An archived URL answered 304 to its latest fetch's validators: seen unchanged (and,
        had it been removed, restored as it was)."""
        require_transaction(self.db, "Articles.mark_unmodified")
        row = self._row_of(url)
        if row is None:
            return None, Outcome.GONE_UNKNOWN
        version = self._current_version(row, crawl_id)
        fields = {"last_seen": seen, "checked_at": seen}
        outcome = Outcome.NOT_MODIFIED
        if row["status"] == REMOVED:
            observed = Observation(url, seen, crawl_id, http_status, None)
            detail = f"HTTP {http_status}: the article is back, not modified"
            self._add_change(row["id"], RESTORED, observed, detail=detail, versions=(version,) * 2)
            fields.update(status=LIVE, status_since=seen)
            outcome = Outcome.RESTORED
        self._update(row["id"], fields)
        self._touch_version(row["id"], version, seen)
        self.db.execute("UPDATE article_urls SET last_seen = ? WHERE url = ?", [seen, url])
        return row["id"], outcome

    def _row_of(self, url: str) -> dict | None:
        cursor = self.db.execute(
            "SELECT a.id, a.status, a.title, a.published_at, a.published_raw, "
            "a.published_precision, a.source, a.editor, a.author, a.body, a.content_hash, "
            "a.snapshot_id, a.first_seen, a.last_seen FROM article_urls u "
            "JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            [url],
        )
        return next(as_dicts(cursor), None)

    def _current_version(self, row: dict, crawl_id: int | None) -> int:
        """The number of the article's latest version (its row made from the article's fields
        if it has none, as the migration made them)."""
        latest = self.db.execute(
            "SELECT max(version) FROM article_versions WHERE article_id = ?", [row["id"]]
        ).fetchone()[0]
        if latest is None:
            self._add_version(row["id"], 1, row, crawl_id)
            return 1
        return latest

    def _add_version(self, article_id: int, version: int, row: dict, crawl_id: int | None) -> None:
        fields = {name: row.get(name) for name in VERSION_COLUMNS}
        insert_row(
            self.db,
            "article_versions",
            {
                "article_id": article_id,
                "version": version,
                **fields,
                "body_hash": row.get("content_hash"),
                "snapshot_id": row.get("snapshot_id"),
                "crawl_id": crawl_id,
                "first_seen": row.get("first_seen"),
                "last_seen": row.get("last_seen"),
            },
        )

    def _touch_version(self, article_id: int, version: int, seen: str) -> None:
        self.db.execute(
            "UPDATE article_versions SET last_seen = ? WHERE article_id = ? AND version = ?",
            [seen, article_id, version],
        )

    def _add_change(
        self,
        article_id: int,
        kind: str,
        observed: Observation,
        *,
        changes: dict | None = None,
        detail: str | None = None,
        versions: tuple[int | None, int | None] = (None, None),
    ) -> None:
        insert_row(
            self.db,
            "article_changes",
            {
                "article_id": article_id,
                "kind": kind,
                "observed_at": observed.at,
                "url": observed.url,
                "http_status": observed.http_status,
                "changes": json.dumps(changes, ensure_ascii=False) if changes else None,
                "detail": detail,
                "from_version": versions[0],
                "to_version": versions[1],
                "snapshot_id": observed.snapshot_id,
                "crawl_id": observed.crawl_id,
            },
        )

    def add_listings(
        self, site: str, section: str, list_url: str, links: list[Link], seen: str
    ) -> None:
        """The article links one list page of ``section`` shows (first and last seen)."""
        require_transaction(self.db, "Articles.add_listings")
        self.db.conn.executemany(
            "INSERT INTO listings (site, section, article_url, list_url, link_text, "
            "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (site, section, article_url) DO UPDATE SET last_seen = excluded.last_seen",
            [(site, section, link.url, list_url, link.text, seen, seen) for link in links],
        )

    def add_view_reading(
        self,
        article_id: int,
        *,
        observed_at: datetime,
        count: int | None,
        raw: str | None,
        method: str,
        counter_url: str | None,
        crawl_id: int | None,
        latest: bool = False,
    ) -> None:
        """One reading of an article's view count; ``latest``: it also becomes the article's."""
        require_transaction(self.db, "Articles.add_view_reading")
        insert_row(
            self.db,
            "view_counts",
            {
                "article_id": article_id,
                "observed_at": observed_at.isoformat(timespec="seconds"),
                "count": count,
                "raw": raw,
                "method": method,
                "counter_url": counter_url,
                "crawl_id": crawl_id,
            },
        )
        if latest and count is not None:
            self._update(article_id, {"view_count": count, "view_count_raw": raw})

    def correct(self, article_id: int, changes: dict) -> None:
        """Rewrite parsed fields in place: the same page read by a better parser (reparse),
        not an edit made by the site. The latest version's row follows; no change is
        recorded."""
        require_transaction(self.db, "Articles.correct")
        self._update(article_id, changes)
        latest = self.db.execute(
            "SELECT id FROM article_versions WHERE article_id = ? ORDER BY version DESC LIMIT 1",
            [article_id],
        ).fetchone()
        if latest:
            self.correct_version(latest[0], changes)

    def correct_version(self, version_id: int, changes: dict) -> None:
        """Rewrite one stored version's fields in place (reparse of an older version)."""
        require_transaction(self.db, "Articles.correct_version")
        fields = {name: changes[name] for name in VERSION_COLUMNS if name in changes}
        if "content_hash" in changes:
            fields["body_hash"] = changes["content_hash"]
        if fields:
            assignments = ", ".join(f"{name} = ?" for name in fields)
            self.db.execute(
                f"UPDATE article_versions SET {assignments} WHERE id = ?",
                [*fields.values(), version_id],
            )

    def _update(self, article_id: int, fields: dict) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*fields.values(), article_id]
        )

    # -- the crawl's reads -----------------------------------------------------------------------
    def id_of(self, url: str) -> int | None:
        """The article archived under ``url`` (any of its URLs), if any."""
        row = self.db.execute("SELECT article_id FROM article_urls WHERE url = ?", [url]).fetchone()
        return row[0] if row else None

    def known_urls(self, site: str) -> set[str]:
        """Every URL already archived for ``site`` (any alias of any article)."""
        return {
            row[0] for row in self.db.execute("SELECT url FROM article_urls WHERE site = ?", [site])
        }

    def listed_not_archived(self, site: str) -> list[tuple[str, str]]:
        """(url, section) listed on a list page but never stored (a run died, a fetch failed)."""
        return self.db.execute(
            "SELECT article_url, min(section) FROM listings l WHERE site = ? AND NOT EXISTS "
            "(SELECT 1 FROM article_urls u WHERE u.url = l.article_url) GROUP BY article_url",
            [site],
        ).fetchall()

    def urls_published_since(self, site: str, since: datetime) -> list[str]:
        """URLs of ``site``'s articles published at or after ``since`` (for view refreshes)."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT url FROM articles WHERE site = ? AND published_at >= ? "
                "ORDER BY published_at",
                [site, since.isoformat(timespec="seconds")],
            )
        ]

    def sites(self) -> list[str]:
        """Sites with at least one archived article URL."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT site FROM article_urls")]

    def sample_urls(self) -> dict[str, str]:
        """Each site with archived articles, and one of its article URLs (its scheme and host)."""
        return dict(self.db.execute("SELECT site, min(url) FROM articles GROUP BY site"))

    # -- rechecks (``pingan recheck``) -----------------------------------------------------------
    def due_for_recheck(
        self,
        site: str,
        now: datetime,
        schedule: Sequence[tuple[float | None, float]],
        *,
        every: bool = False,
        older_than: timedelta | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[RecheckTarget]:
        """``site``'s articles due a recheck, the longest overdue first.

        ``schedule`` is ``(age in days, interval in days)`` pairs, youngest first, the last age
        None: an article of that age (since its publish time, else its first fetch) is due
        ``interval`` days after it was last checked (:data:`DUE_AT` of it, in fact).
        ``older_than`` replaces the schedule (due when last checked longer ago), ``every``
        makes everything due; ``since`` keeps articles published on or after it; ``limit``
        caps how many.
        """
        where, params = "a.site = ?", [site]
        if since is not None:
            where += " AND a.published_at >= ?"
            params.append(since.isoformat(timespec="seconds"))
        rows = self.db.execute(
            "SELECT a.id, a.url, a.status, a.pages, "
            "julianday(?) - julianday(coalesce(a.published_at, a.first_seen)), "
            "julianday(?) - julianday(coalesce(a.checked_at, a.last_seen, a.first_seen)) "
            f"FROM articles a WHERE {where}",
            [now.isoformat(), now.isoformat(), *params],
        ).fetchall()
        due = []
        for article_id, url, status, pages, age, idle in rows:
            idle = idle if idle is not None else float("inf")
            if every:
                interval = 1.0
            elif older_than is not None:
                interval = older_than.total_seconds() / 86400
                if idle <= interval:
                    continue
            else:
                interval = interval_for(age, schedule)
                if idle < interval * DUE_AT:
                    continue
            due.append((idle / max(interval, 1e-9), article_id, url, status, pages))
        due.sort(key=lambda d: (-d[0], d[1]))
        return [
            RecheckTarget(article_id, url, status, pages or 1)
            for _rank, article_id, url, status, pages in due[:limit]
        ]

    def validators(self, article_id: int) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the latest good fetch of the article's page, for a
        conditional request (None, None when the site sent neither)."""
        row = self.db.execute(
            "SELECT s.headers FROM snapshots s WHERE s.url = (SELECT v.url FROM snapshots v "
            "JOIN articles a ON a.snapshot_id = v.id WHERE a.id = ?) AND s.kind = 'article' "
            "AND s.status = 200 ORDER BY s.last_fetched_at DESC, s.id DESC LIMIT 1",
            [article_id],
        ).fetchone()
        headers = {k.lower(): v for k, v in json.loads(row[0] or "{}").items()} if row else {}

        def first(name: str) -> str | None:
            values = headers.get(name)
            if isinstance(values, list):
                values = values[0] if values else None
            return str(values) if values else None

        return first("etag"), first("last-modified")

    def version_page(self, url: str) -> dict | None:
        """The stored page the current version of the article at ``url`` was read from: its
        url, site, sha256, headers (a dict) and fetched_at; None without one."""
        cursor = self.db.execute(
            "SELECT s.url, a.site, s.sha256, s.headers, s.fetched_at FROM article_urls u "
            "JOIN articles a ON a.id = u.article_id JOIN snapshots s ON s.id = a.snapshot_id "
            "WHERE u.url = ?",
            [url],
        )
        row = next(as_dicts(cursor), None)
        if row:
            row["headers"] = json.loads(row["headers"] or "{}")
        return row

    def current(self, article_id: int) -> dict | None:
        """An article's url, site, title and body (what a redirect's landing page is
        compared with)."""
        cursor = self.db.execute(
            "SELECT id, url, site, title, body, status FROM articles WHERE id = ?", [article_id]
        )
        return next(as_dicts(cursor), None)

    def busiest_list_page(self, site: str) -> str | None:
        """The list page of ``site`` that listed the most archived articles (a section's first
        page, as a rule): ``pingan recheck`` fetches it to see the site is up."""
        row = self.db.execute(
            "SELECT list_url FROM listings WHERE site = ? GROUP BY list_url "
            "ORDER BY count(*) DESC, max(last_seen) DESC LIMIT 1",
            [site],
        ).fetchone()
        return row[0] if row else None

    def is_list_page(self, site: str, url: str) -> bool:
        """Whether ``url`` is a list page the crawl walked for ``site``."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM listings WHERE site = ? AND list_url = ? LIMIT 1", [site, url]
            ).fetchone()
        )

    # -- versions and changes --------------------------------------------------------------------
    def changes(
        self,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
        kind: str | None = None,
    ) -> Iterator[dict]:
        """Every observed change, oldest first: id, article_id, url, site, title, kind,
        observed_at, http_status, changes (a dict, or None), detail, from_version, to_version.

        ``since``/``until`` bound ``observed_at`` (ISO 8601; ``until`` exclusive).
        """
        clauses, params = ["1"], []
        for clause, value in (
            ("a.site = ?", site),
            ("c.observed_at >= ?", since),
            ("c.observed_at < ?", until),
            ("c.kind = ?", kind),
        ):
            if value:
                clauses.append(clause)
                params.append(value)
        cursor = self.db.execute(
            "SELECT c.id, c.article_id, coalesce(c.url, a.url) AS url, a.site, "
            "coalesce(v.title, a.title) AS title, c.kind, c.observed_at, c.http_status, "
            "c.changes, c.detail, c.from_version, c.to_version FROM article_changes c "
            "JOIN articles a ON a.id = c.article_id LEFT JOIN article_versions v "
            "ON v.article_id = c.article_id AND v.version = c.from_version "
            f"WHERE {' AND '.join(clauses)} ORDER BY c.observed_at, c.id",
            params,
        )
        for row in as_dicts(cursor):
            row["changes"] = json.loads(row["changes"]) if row["changes"] else None
            yield row

    def versions(self, article_id: int) -> list[dict]:
        """Every stored version of one article, oldest first."""
        cursor = self.db.execute(
            "SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
        )
        return list(as_dicts(cursor))

    def older_versions_with_snapshots(self, after_id: int, limit: int) -> list[dict]:
        """The next ``limit`` versions after row ``after_id`` that are not their article's
        latest, each with its article's url and site and its snapshot's sha256, headers (a
        dict) and fetched_at (for reparse)."""
        rows = list(
            as_dicts(
                self.db.execute(
                    "SELECT v.*, a.url, a.site, s.sha256, s.headers, s.fetched_at "
                    "FROM article_versions v JOIN articles a ON a.id = v.article_id "
                    "LEFT JOIN snapshots s ON s.id = v.snapshot_id WHERE v.id > ? AND v.version "
                    "< (SELECT max(w.version) FROM article_versions w "
                    "WHERE w.article_id = v.article_id) ORDER BY v.id LIMIT ?",
                    [after_id, limit],
                )
            )
        )
        for row in rows:
            row["headers"] = json.loads(row["headers"] or "{}")
        return rows

    # -- analysts' reads (pingan_crawler/analysis/) ----------------------------------------------
    def columns(self) -> list[str]:
        """The columns of ``articles``, in table order."""
        return [row[1] for row in self.db.execute("PRAGMA table_info(articles)")]

    def iter_rows(self, selection: Selection | None = None) -> Iterator[dict]:
        """Whole article rows in id order."""
        where, params = (selection or Selection()).where("a")
        yield from as_dicts(
            self.db.execute(f"SELECT * FROM articles a WHERE {where} ORDER BY a.id", params)
        )

    def count(self, selection: Selection | None = None) -> int:
        where, params = (selection or Selection()).where("a")
        return self.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[
            0
        ]

    def batches(
        self, fields: list[str], selection: Selection | None = None, size: int = 1000
    ) -> Iterator[list[tuple]]:
        """The chosen columns in id order, ``size`` rows at a time, straight from the cursor
        (constant memory on any archive)."""
        unknown = set(fields) - set(self.columns())
        if unknown:
            raise KeyError(f"articles has no column {', '.join(sorted(unknown))}")
        where, params = (selection or Selection()).where("a")
        columns = ", ".join(f'a."{f}"' for f in fields)
        cursor = self.db.execute(
            f"SELECT {columns} FROM articles a WHERE {where} ORDER BY a.id", params
        )
        while batch := cursor.fetchmany(size):
            yield batch

    def find(
        self,
        terms: list[str],
        selection: Selection | None = None,
        limit: int = 20,
        order: str = "relevance",
    ) -> list[dict]:
        """Articles containing every term as a literal substring, best first (id, url, site,
        section, title, published_at, view_count, body).

        With a term of 3+ characters the trigram index finds them; ``relevance`` ranks by bm25
        (a title hit worth five body hits). With only shorter terms the table is scanned: title
        hits first, then the newest published. ``recent``: most recently archived first, which
        stops at ``limit`` matches. Raises sqlite3.OperationalError for a term FTS5 refuses.
        """
        if order not in SEARCH_ORDERS:
            raise ValueError(f"order must be one of {', '.join(SEARCH_ORDERS)}, not {order!r}")
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        short_terms = [t for t in terms if len(t) < TRIGRAM]
        where, params = (selection or Selection()).where("a")
        for term in short_terms:
            where += " AND (instr(a.title, ?) > 0 OR instr(a.body, ?) > 0)"
            params += [term, term]
        # First the ids of the best rows only (sorts that carry no text), then their fields.
        if long_terms:
            match = " ".join(fts_string(t) for t in long_terms)
            ids = self._indexed_ids(match, where, params, limit, order)
        else:
            ids = self._scanned_ids(short_terms[0], where, params, limit, order)
        marks = ", ".join("?" * len(ids))
        rows = {
            row["id"]: row
            for row in as_dicts(
                self.db.execute(
                    "SELECT id, url, site, section, title, published_at, view_count, body "
                    f"FROM articles WHERE id IN ({marks})",
                    ids,
                )
            )
        }
        return [rows[i] for i in ids]

    def _indexed_ids(
        self, match: str, where: str, params: list, limit: int, order: str
    ) -> list[int]:
        by = "rank" if order == "relevance" else "rowid DESC"
        if where == "1":
            sql = f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY {by} LIMIT ?"
        else:
            sql = (
                "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                f"WHERE articles_fts MATCH ? AND {where} ORDER BY articles_fts.{by} LIMIT ?"
            )
        return [row[0] for row in self.db.execute(sql, [match, *params, limit])]

    def _scanned_ids(
        self, first: str, where: str, params: list, limit: int, order: str
    ) -> list[int]:
        """Short terms: title hits newest first (an index holds titles), then body-only hits."""
        if order == "recent":
            sql = f"SELECT a.id FROM articles a WHERE {where} ORDER BY a.id DESC LIMIT ?"
            return [row[0] for row in self.db.execute(sql, [*params, limit])]
        ids: list[int] = []
        for in_title in ("> 0", "= 0"):
            sql = (
                f"SELECT a.id FROM articles a WHERE instr(a.title, ?) {in_title} AND {where} "
                "ORDER BY a.published_at DESC, a.id DESC LIMIT ?"
            )
            ids += [row[0] for row in self.db.execute(sql, [first, *params, limit - len(ids)])]
            if len(ids) >= limit:
                break
        return ids

    def with_snapshots(
        self, fields: tuple[str, ...], selection: Selection | None, after_id: int, limit: int
    ) -> list[dict]:
        """The next ``limit`` articles after ``after_id``: id, url, site, snapshot_id, the
        chosen ``fields``, and their snapshot's sha256, headers (a dict) and fetched_at
        (None when the article has no snapshot)."""
        where, params = (selection or Selection()).where("a")
        columns = ", ".join(f"a.{name}" for name in fields)
        rows = list(
            as_dicts(
                self.db.execute(
                    f"SELECT a.id, a.url, a.site, a.snapshot_id, {columns}, s.sha256, s.headers, "
                    "s.fetched_at FROM articles a LEFT JOIN snapshots s ON s.id = a.snapshot_id "
                    f"WHERE a.id > ? AND {where} ORDER BY a.id LIMIT ?",
                    [after_id, *params, limit],
                )
            )
        )
        for row in rows:
            row["headers"] = json.loads(row["headers"] or "{}")
        return rows
