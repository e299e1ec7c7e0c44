"""The archive: the only module that knows the SQLite schema.

One file holds everything (articles, every fetched page's bytes, crawl records), so an archive
backs up and moves as one. WAL lets analysts read while a crawl writes; busy_timeout makes
writers wait instead of failing. Every write that belongs together (an article, its URL, its
snapshot, its view-count reading) commits in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from pingan_crawler import compression
from pingan_crawler.items import Snapshot
from pingan_crawler.parsing.model import Article, Link
from pingan_crawler.storage.common import content_hash, now_iso
from pingan_crawler.storage.ingest import IngestRecords
from pingan_crawler.storage.packing import SnapshotPacking
from pingan_crawler.storage.reposts import RepostClusters
from pingan_crawler.storage.schema import migrations

__all__ = ["Archive", "content_hash", "migrations", "now_iso"]

BUSY_TIMEOUT_MS = 10_000
# Bodies shorter than this are too generic to prove two pages are the same article.
MIN_DEDUP_BODY_CHARS = 80


class Archive(RepostClusters, SnapshotPacking, IngestRecords):
    """A pingan SQLite archive; opening it creates or migrates the schema."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.path)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(self.db)
        self._unpacker = compression.Unpacker(self._dictionary)
        self._packers: dict[str, compression.DictPacker | None] = {}
        self._zlib_bodies: dict[str, int] = {}  # per site, while it has no dictionary

    def close(self) -> None:
        self.db.close()

    def _insert(self, table: str, row: dict) -> int:
        """INSERT one row of plain values; its rowid. (sqlite-utils' insert reads the table's
        schema on every call: on the per-page path that was a tenth of a crawl's time.)"""
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        cursor = self.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())
        )
        return cursor.lastrowid

    # -- crawls -------------------------------------------------------------------------------
    def start_crawl(self, site: str, args: dict) -> int:
        with self.db.atomic():
            table = self.db["crawls"].insert(
                {
                    "site": site,
                    "started_at": now_iso(),
                    "args": json.dumps(args, ensure_ascii=False),
                }
            )
        return table.last_pk

    def finish_crawl(self, crawl_id: int, reason: str, stats: dict) -> None:
        def stat(key: str) -> int:
            return int(stats.get(key, 0) or 0)

        row = {
            "finished_at": now_iso(),
            "finish_reason": reason,
            "requests": stat("downloader/request_count"),
            "pages": stat("downloader/response_count"),
            "articles_new": stat("archive/new"),
            "articles_updated": stat("archive/updated"),
            "duplicates": stat("archive/duplicate"),
            "errors": stat("archive/errors"),
            "blocked": stat("archive/blocked"),
            "blocked_by": stats.get("archive/blocked_by"),
            "stats": json.dumps(stats, default=str, ensure_ascii=False),
        }
        with self.db.atomic():
            self.db["crawls"].update(crawl_id, row)

    # -- writes -------------------------------------------------------------------------------
    def _store_snapshot(self, snap: Snapshot, site: str, kind: str, crawl_id: int | None) -> int:
        """Insert the fetch (or bump the same URL+bytes seen before); bodies are stored once."""
        digest = snap.sha256
        if not self.db.execute(
            "SELECT 1 FROM snapshot_bodies WHERE sha256 = ?", [digest]
        ).fetchone():
            label, data = self._pack(site, snap.body)
            self.db.execute(
                "INSERT INTO snapshot_bodies (sha256, size, compression, data) VALUES (?, ?, ?, ?)",
                [digest, len(snap.body), label, data],
            )
        fetched = snap.fetched_at.isoformat(timespec="seconds")
        existing = self.db.execute(
            "SELECT id FROM snapshots WHERE url = ? AND sha256 = ?", [snap.url, digest]
        ).fetchone()
        if existing:
            self.db.execute(
                "UPDATE snapshots SET last_fetched_at = ?, fetch_count = fetch_count + 1 "
                "WHERE id = ?",
                [fetched, existing[0]],
            )
            return existing[0]
        return self._insert(
            "snapshots",
            {
                "url": snap.url,
                "site": site,
                "kind": kind,
                "crawl_id": crawl_id,
                "fetched_at": fetched,
                "last_fetched_at": fetched,
                "fetch_count": 1,
                "status": snap.status,
                "fetched_url": snap.fetched_url,
                "headers": json.dumps(snap.headers, ensure_ascii=False),
                "sha256": digest,
                "size": len(snap.body),
                "charset": snap.charset,
            },
        )

    def store_list_page(
        self, site: str, section: str, snap: Snapshot, links: list[Link], crawl_id: int | None
    ) -> None:
        """A list page's snapshot and the articles it lists (which section lists what)."""
        seen = now_iso()
        with self.db.atomic():
            self._store_snapshot(snap, site, "list", crawl_id)
            for link in links:
                self.db.execute(
                    "INSERT INTO listings (site, section, article_url, list_url, link_text, "
                    "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (site, section, article_url) "
                    "DO UPDATE SET last_seen = excluded.last_seen",
                    [site, section, link.url, snap.url, link.text, seen, seen],
                )

    def store_article(
        self,
        article: Article,
        snap: Snapshot,
        *,
        url: str,
        body_hash: str,
        section: str | None,
        crawl_id: int | None,
        extra_snapshots: list[Snapshot] = (),
    ) -> str:
        """Store one article (with the snapshots of its later pages and counter reply).

        Returns ``new``, ``updated``, ``unchanged`` or ``duplicate``.

        A URL already archived updates that article; a new URL whose body is already archived
        (a repost in another section) becomes another URL of the same article.
        """
        seen = now_iso()
        with self.db.atomic():
            snapshot_id = self._store_snapshot(snap, article.site or "", "article", crawl_id)
            for extra in extra_snapshots:
                self._store_snapshot(extra, article.site or "", "article", crawl_id)
            known = self.db.execute(
                "SELECT a.id, a.content_hash FROM article_urls u "
                "JOIN articles a ON a.id = u.article_id "
                "WHERE u.url = ?",
                [url],
            ).fetchone()
            if known:
                article_id, old_hash = known
                outcome = "unchanged" if old_hash == body_hash else "updated"
                fields = {"last_seen": seen}
                if outcome == "updated":
                    fields.update(self._article_fields(article, body_hash, snapshot_id))
                    fields.pop("section")
                self.db["articles"].update(article_id, fields)
                if outcome == "updated":
                    self._sign_and_cluster(article_id, article.body)
                self.db.execute("UPDATE article_urls SET last_seen = ? WHERE url = ?", [seen, url])
            else:
                twin = None
                if len(article.body) >= MIN_DEDUP_BODY_CHARS:
                    twin = self.db.execute(
                        "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
                        [body_hash],
                    ).fetchone()
                if twin:
                    article_id, outcome = twin[0], "duplicate"
                    self.db.execute(
                        "UPDATE articles SET last_seen = ? WHERE id = ?", [seen, article_id]
                    )
                else:
                    row = self._article_fields(article, body_hash, snapshot_id)
                    row.update(
                        url=url, section=article.section or section, first_seen=seen, last_seen=seen
                    )
                    article_id, outcome = self._insert("articles", row), "new"
                    self._sign_and_cluster(article_id, article.body)
                self._insert(
                    "article_urls",
                    {
                        "url": url,
                        "article_id": article_id,
                        "site": article.site,
                        "section": article.section or section,
                        "first_seen": seen,
                        "last_seen": seen,
                    },
                )
            if article.view_count is not None or article.view_count_raw:
                self._insert(
                    "view_counts",
                    {
                        "article_id": article_id,
                        "observed_at": snap.fetched_at.isoformat(timespec="seconds"),
                        "count": article.view_count,
                        "raw": article.view_count_raw,
                        "method": article.view_method,
                        "counter_url": None
                        if article.view_method == "page"
                        else article.counter_url,
                        "crawl_id": crawl_id,
                    },
                )
        return outcome

    @staticmethod
    def _article_fields(article: Article, body_hash: str, snapshot_id: int) -> dict:
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
            "pages": article.pages,
            "warnings": json.dumps(list(article.warnings), ensure_ascii=False),
            "content_hash": body_hash,
            "snapshot_id": snapshot_id,
        }

    def record_error(
        self,
        crawl_id: int | None,
        url: str,
        kind: str,
        detail: str,
        http_status: int | None = None,
        snap: Snapshot | None = None,
        site: str = "",
        warnings: tuple[str, ...] | list[str] = (),
    ) -> None:
        """An error row, with the page's snapshot when a body arrived."""
        with self.db.atomic():
            snapshot_id = self._store_snapshot(snap, site, "error", crawl_id) if snap else None
            self.db["errors"].insert(
                {
                    "crawl_id": crawl_id,
                    "at": now_iso(),
                    "url": url,
                    "kind": kind,
                    "detail": detail,
                    "http_status": http_status,
                    "snapshot_id": snapshot_id,
                    "warnings": json.dumps(list(warnings), ensure_ascii=False)
                    if warnings
                    else None,
                }
            )

    def store_view_reading(
        self,
        url: str,
        count: int | None,
        raw: str | None,
        method: str,
        observed_at: datetime,
        crawl_id: int | None,
        counter_url: str | None = None,
    ) -> bool:
        """One more reading of an archived article's view count; False if the URL is unknown."""
        with self.db.atomic():
            row = self.db.execute(
                "SELECT article_id FROM article_urls WHERE url = ?", [url]
            ).fetchone()
            if row is None:
                return False
            self.db["view_counts"].insert(
                {
                    "article_id": row[0],
                    "observed_at": observed_at.isoformat(timespec="seconds"),
                    "count": count,
                    "raw": raw,
                    "method": method,
                    "counter_url": counter_url,
                    "crawl_id": crawl_id,
                }
            )
            if count is not None:
                self.db["articles"].update(row[0], {"view_count": count, "view_count_raw": raw})
        return True

    def mark_section_walked(
        self, site: str, section: str, reason: str, crawl_id: int | None
    ) -> None:
        with self.db.atomic():
            self.db["section_walks"].upsert(
                {
                    "site": site,
                    "section": section,
                    "completed_at": now_iso(),
                    "crawl_id": crawl_id,
                    "reason": reason,
                },
                pk=("site", "section"),
            )

    # -- reads --------------------------------------------------------------------------------
    def known_article_urls(self, site: str) -> set[str]:
        """Every URL already archived for ``site`` (any alias of any article)."""
        return {
            row[0] for row in self.db.execute("SELECT url FROM article_urls WHERE site = ?", [site])
        }

    def walked_sections(self, site: str) -> set[str]:
        return {
            row[0]
            for row in self.db.execute("SELECT section FROM section_walks WHERE site = ?", [site])
        }

    def listed_not_archived(self, site: str) -> list[tuple[str, str]]:
        """(url, section) listed on a list page but never stored (a run died, a fetch failed)."""
        return self.db.execute(
            "SELECT article_url, min(section) FROM listings l WHERE site = ? AND NOT EXISTS "
            "(SELECT 1 FROM article_urls u WHERE u.url = l.article_url) GROUP BY article_url",
            [site],
        ).fetchall()

    def article_urls_published_since(self, site: str, since: datetime) -> list[str]:
        """URLs of ``site``'s articles published at or after ``since`` (for view refreshes)."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT url FROM articles WHERE site = ? AND published_at >= ? "
                "ORDER BY published_at",
                [site, since.isoformat(timespec="seconds")],
            )
        ]

    def snapshot_body(self, sha256: str) -> bytes:
        row = self.db.execute(
            "SELECT compression, data FROM snapshot_bodies WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None:
            raise KeyError(f"no stored body with sha256 {sha256}")
        compression_label, data = row
        return self._unpacker.unpack(compression_label, data)

    def iter_articles(self, site: str | None = None) -> Iterator[dict]:
        where, params = ("WHERE site = ?", [site]) if site else ("", [])
        cursor = self.db.execute(f"SELECT * FROM articles {where} ORDER BY id", params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def status(self) -> list[dict]:
        """Per site: the last crawl, its outcome and errors, articles archived, newest article."""
        rows = []
        for (site,) in self.db.execute(
            "SELECT site FROM crawls UNION SELECT site FROM articles ORDER BY 1"
        ):
            last = (
                self.db.execute(
                    "SELECT id, started_at, finished_at, finish_reason, articles_new FROM crawls "
                    "WHERE site = ? ORDER BY id DESC LIMIT 1",
                    [site],
                ).fetchone()
                or (None,) * 5
            )
            articles, newest = self.db.execute(
                "SELECT count(*), max(published_at) FROM articles WHERE site = ?", [site]
            ).fetchone()
            errors = self.db.execute(
                "SELECT kind, count(*) FROM errors WHERE crawl_id = ? "
                "GROUP BY kind ORDER BY 2 DESC",
                [last[0]],
            ).fetchall()
            rows.append(
                {
                    "site": site,
                    "crawl_id": last[0],
                    "started_at": last[1],
                    "finished_at": last[2],
                    "finish_reason": last[3],
                    "articles_new": last[4],
                    "articles": articles,
                    "newest": newest,
                    "last_errors": errors,
                }
            )
        return rows

    def crawl(self, crawl_id: int | None = None) -> dict | None:
        """One ``crawls`` row (the latest when ``crawl_id`` is None), or None."""
        where, params = ("WHERE id = ?", [crawl_id]) if crawl_id is not None else ("", [])
        cursor = self.db.execute(f"SELECT * FROM crawls {where} ORDER BY id DESC LIMIT 1", params)
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def errors_by_kind(self, crawl_id: int, examples: int = 3) -> list[dict]:
        """A run's errors grouped by kind, most frequent first, with a few URLs and a detail."""
        groups = []
        for kind, count in self.db.execute(
            "SELECT kind, count(*) FROM errors WHERE crawl_id = ? GROUP BY kind ORDER BY 2 DESC, 1",
            [crawl_id],
        ).fetchall():
            rows = self.db.execute(
                "SELECT url, detail, http_status FROM errors WHERE crawl_id = ? AND kind = ? "
                "ORDER BY id LIMIT ?",
                [crawl_id, kind, examples],
            ).fetchall()
            groups.append({"kind": kind, "count": count, "examples": rows})
        return groups

    def counts(self) -> dict[str, int]:
        return {
            name: self.db[name].count
            for name in (
                "articles",
                "article_urls",
                "snapshots",
                "snapshot_bodies",
                "errors",
                "crawls",
            )
        }

    # -- analyst access (pingan_crawler/analysis/) ------------------------------------------
    def search(
        self,
        query: str,
        *,
        site: str | None = None,
        section: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 20,
        order: str = "relevance",
    ) -> list:
        """Articles containing every whitespace-separated term of ``query``, best first.

        ``order``: ``relevance`` (bm25; short terms: title hits, then newest published) or
        ``recent`` (most recently archived first; fast on any archive size).

        Returns :class:`pingan_crawler.analysis.search.SearchHit` rows; bad input (an empty
        query, a bad date) raises :class:`pingan_crawler.analysis.filters.QueryError`.
        """
        from pingan_crawler.analysis.filters import Filters
        from pingan_crawler.analysis.search import search

        filters = Filters.parse(site, section, since, until)
        return search(self.db.conn, query, filters, limit, order=order)
