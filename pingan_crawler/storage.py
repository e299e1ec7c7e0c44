"""The archive: the only module that knows the SQLite schema.

One file holds everything (articles, every fetched page's bytes, crawl records), so an archive
backs up and moves as one. WAL lets analysts read while a crawl writes; busy_timeout makes
writers wait instead of failing. Every write that belongs together (an article, its URL, its
snapshot, its view-count reading) commits in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database, Migrations

from pingan_crawler.items import Snapshot
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.model import Article, Link

BUSY_TIMEOUT_MS = 10_000
# Bodies shorter than this are too generic to prove two pages are the same article.
MIN_DEDUP_BODY_CHARS = 80

migrations = Migrations("pingan")


@migrations()
def m001_initial(db: Database) -> None:
    db["crawls"].create(
        {
            "id": int,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "args": str,
            "requests": int,
            "pages": int,
            "articles_new": int,
            "articles_updated": int,
            "duplicates": int,
            "errors": int,
            "stats": str,
        },
        pk="id",
    )
    db["snapshot_bodies"].create(
        {"sha256": str, "size": int, "compression": str, "data": bytes}, pk="sha256"
    )
    db["snapshots"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "kind": str,
            "crawl_id": int,
            "fetched_at": str,
            "last_fetched_at": str,
            "fetch_count": int,
            "status": int,
            "fetched_url": str,
            "headers": str,
            "sha256": str,
            "size": int,
            "charset": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("sha256", "snapshot_bodies", "sha256")],
    )
    db["snapshots"].create_index(["url", "sha256"], unique=True)
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "section": str,
            "title": str,
            "published_at": str,
            "published_raw": str,
            "published_precision": str,
            "view_count": int,
            "view_count_raw": str,
            "body": str,
            "body_html": str,
            "source": str,
            "editor": str,
            "author": str,
            "images": str,
            "charset": str,
            "warnings": str,
            "content_hash": str,
            "snapshot_id": int,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["site", "published_at"])
    db["article_urls"].create(
        {
            "url": str,
            "article_id": int,
            "site": str,
            "section": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])
    db["listings"].create(
        {
            "site": str,
            "section": str,
            "article_url": str,
            "list_url": str,
            "link_text": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk=("site", "section", "article_url"),
    )
    db["view_counts"].create(
        {
            "id": int,
            "article_id": int,
            "observed_at": str,
            "count": int,
            "raw": str,
            "method": str,
            "crawl_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("crawl_id", "crawls", "id")],
    )
    db["view_counts"].create_index(["article_id", "observed_at"])
    db["errors"].create(
        {
            "id": int,
            "crawl_id": int,
            "at": str,
            "url": str,
            "kind": str,
            "detail": str,
            "http_status": int,
            "snapshot_id": int,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("snapshot_id", "snapshots", "id")],
    )
    db["errors"].create_index(["crawl_id", "kind"])
    db.execute(
        "CREATE VIEW article_sections AS SELECT a.id AS article_id, a.url, l.section, "
        "l.list_url, l.first_seen FROM articles a JOIN article_urls u ON u.article_id = a.id "
        "JOIN listings l ON l.article_url = u.url AND l.site = a.site"
    )


@migrations()
def m002_section_walks(db: Database) -> None:
    # A section whose list was walked to its end (or to known articles) at least once. Only
    # such sections may stop paging early: after an interrupted first walk, the next run must
    # walk on to the pages it never reached.
    db["section_walks"].create(
        {"site": str, "section": str, "completed_at": str, "crawl_id": int, "reason": str},
        pk=("site", "section"),
    )


@migrations()
def m003_crawls_blocked(db: Database) -> None:
    # Requests answered by an anti-bot challenge (counted by the block detection).
    db["crawls"].add_column("blocked", int)


@migrations()
def m008_distributed(db: Database) -> None:
    # A distributed crawl is one crawls row per worker process, named here; the writer finds
    # the row again after a restart. `ingested` holds the id of every message the writer
    # committed, in the same transaction, so a replayed message is recognised and skipped.
    db["crawls"].add_column("worker", str)
    db["crawls"].create_index(["worker"])
    db["ingested"].create({"id": str, "at": str}, pk="id")


def now_iso() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    """Hash of the body text with whitespace and width differences folded away."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", body))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


class Archive:
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

    def close(self) -> None:
        self.db.close()

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
            self.db["snapshot_bodies"].insert(
                {
                    "sha256": digest,
                    "size": len(snap.body),
                    "compression": "zlib",
                    "data": zlib.compress(snap.body, 6),
                }
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
        return (
            self.db["snapshots"]
            .insert(
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
                }
            )
            .last_pk
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
    ) -> str:
        """Store one article page; returns ``new``, ``updated``, ``unchanged`` or ``duplicate``.

        A URL already archived updates that article; a new URL whose body is already archived
        (a repost in another section) becomes another URL of the same article.
        """
        seen = now_iso()
        with self.db.atomic():
            snapshot_id = self._store_snapshot(snap, article.site or "", "article", crawl_id)
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
                    article_id, outcome = self.db["articles"].insert(row).last_pk, "new"
                self.db["article_urls"].insert(
                    {
                        "url": url,
                        "article_id": article_id,
                        "site": article.site,
                        "section": article.section or section,
                        "first_seen": seen,
                        "last_seen": seen,
                    }
                )
            if article.view_count is not None or article.view_count_raw:
                self.db["view_counts"].insert(
                    {
                        "article_id": article_id,
                        "observed_at": snap.fetched_at.isoformat(timespec="seconds"),
                        "count": article.view_count,
                        "raw": article.view_count_raw,
                        "method": "page",
                        "crawl_id": crawl_id,
                    }
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
        compression, data = row
        return zlib.decompress(data) if compression == "zlib" else data

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

    # -- distributed crawls (pingan ingest) ---------------------------------------------------
    def worker_crawl(self, site: str, worker: str, args: dict, started_at: str) -> int:
        """The ``crawls`` row of one worker process, created on first sight."""
        row = self.db.execute("SELECT id FROM crawls WHERE worker = ?", [worker]).fetchone()
        if row:
            return row[0]
        with self.db.atomic():
            return (
                self.db["crawls"]
                .insert(
                    {
                        "site": site,
                        "worker": worker,
                        "started_at": started_at or now_iso(),
                        "args": json.dumps(args, ensure_ascii=False, default=str),
                        "articles_new": 0,
                        "articles_updated": 0,
                        "duplicates": 0,
                        "errors": 0,
                    }
                )
                .last_pk
            )

    def add_crawl_counts(self, crawl_id: int, stats: dict) -> None:
        """Add one item's outcome (archive/* stats) to its crawl's counters."""
        columns = {
            "articles_new": "archive/new",
            "articles_updated": "archive/updated",
            "duplicates": "archive/duplicate",
            "errors": "archive/errors",
        }
        deltas = {col: int(stats.get(key, 0) or 0) for col, key in columns.items()}
        if any(deltas.values()):
            assignments = ", ".join(f"{col} = coalesce({col}, 0) + ?" for col in deltas)
            self.db.execute(
                f"UPDATE crawls SET {assignments} WHERE id = ?", [*deltas.values(), crawl_id]
            )

    def finish_worker_crawl(self, crawl_id: int, reason: str, worker_stats: dict) -> None:
        """Close a worker's row: its fetch counts and stats; item counts were added as stored."""

        def stat(key: str) -> int:
            return int(worker_stats.get(key, 0) or 0)

        with self.db.atomic():
            self.db["crawls"].update(
                crawl_id,
                {
                    "finished_at": now_iso(),
                    "finish_reason": reason,
                    "requests": stat("downloader/request_count"),
                    "pages": stat("downloader/response_count"),
                    "blocked": stat("archive/blocked"),
                    "stats": json.dumps(worker_stats, default=str, ensure_ascii=False),
                },
            )

    def was_ingested(self, message_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM ingested WHERE id = ?", [message_id]).fetchone())

    def mark_ingested(self, message_id: str) -> None:
        """Call inside the transaction that stored the message."""
        self.db.execute("INSERT INTO ingested (id, at) VALUES (?, ?)", [message_id, now_iso()])

    def forget_ingested_before(self, cutoff: str) -> int:
        """Drop replay records older than ``cutoff`` (ISO time): replays come within minutes."""
        with self.db.atomic():
            return self.db.execute("DELETE FROM ingested WHERE at < ?", [cutoff]).rowcount

    def sites_with_state(self) -> list[str]:
        """Sites with archived articles or walked sections (whose state workers mirror)."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT site FROM article_urls UNION SELECT site FROM section_walks ORDER BY 1"
            )
        ]
