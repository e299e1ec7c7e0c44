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
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database, Migrations

from pingan_crawler import compression
from pingan_crawler.items import Snapshot
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.model import Article, Link

if TYPE_CHECKING:
    from pingan_crawler import reposts

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
def m004_search(db: Database) -> None:
    # Full-text search over title and body. The trigram tokenizer matches any substring of 3+
    # characters, which suits Chinese (no word spaces); shorter queries scan the base table
    # (pingan_crawler/analysis/search.py). External content: the index holds no second copy of
    # the text; the triggers keep it in step with every insert, update and delete of articles.
    db.execute(
        'CREATE VIRTUAL TABLE articles_fts USING FTS5 (title, body, tokenize="trigram", '
        'content="articles", content_rowid="id")'
    )
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    # ORDER BY rank: bm25 with a hit in the title worth five in the body.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')")
    db.execute(
        "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    db.execute(
        "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END"
    )
    db.execute(
        "CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN "
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    # Short-query search walks titles newest first without reading whole rows.
    db.execute("CREATE INDEX articles_published_title ON articles (published_at, title)")
    # Views for the questions analysts ask most (README, "Views").
    db.execute(
        "CREATE VIEW article_latest_views AS SELECT a.id AS article_id, a.site, a.title, a.url, "
        "a.published_at, v.count AS view_count, v.observed_at, "
        "(SELECT count(*) FROM view_counts c WHERE c.article_id = a.id) AS readings "
        "FROM articles a JOIN view_counts v ON v.id = (SELECT id FROM view_counts w "
        "WHERE w.article_id = a.id AND w.count IS NOT NULL "
        "ORDER BY w.observed_at DESC, w.id DESC LIMIT 1)"
    )
    db.execute(
        "CREATE VIEW articles_per_month AS SELECT site, section, "
        "substr(published_at, 1, 7) AS month, count(*) AS articles, "
        "sum(view_count) AS views FROM articles GROUP BY site, section, month"
    )
    db.execute(
        "CREATE VIEW sources_ranked AS SELECT coalesce(source, '(none)') AS source, "
        "count(*) AS articles, count(DISTINCT site) AS sites, "
        "min(published_at) AS first_published, max(published_at) AS last_published "
        "FROM articles GROUP BY 1 ORDER BY articles DESC"
    )


@migrations()
def m005_hostile(db: Database) -> None:
    # errors.warnings: the parser's warnings for a rejected page (JSON list);
    # crawls.blocked_by: the vendor whose anti-bot challenge stopped the run, if any.
    db["errors"].add_column("warnings", str)
    db["crawls"].add_column("blocked_by", str)


@migrations()
def m006_reposts(db: Database) -> None:
    # Near-duplicate clusters (pingan_crawler/reposts.py). A cluster is made when a second
    # article matches; its original is the earliest published member. article_signatures has a
    # row per article looked at (minhash null: body too short to sign); signature_bands holds
    # its LSH band keys, indexed, so matching a new article is a lookup rather than all-pairs.
    db["repost_clusters"].create(
        {
            "id": int,
            "original_id": int,
            "size": int,
            "sites": str,
            "first_published": str,
            "last_published": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["articles"].add_column("cluster_id", int)
    db["articles"].create_index(["cluster_id"])
    db["article_signatures"].create(
        {
            "article_id": int,
            "version": str,
            "minhash": bytes,
            "shingles": int,
            "chars": int,
            "match_id": int,
            "match_jaccard": float,
            "match_containment": float,
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.execute(
        "CREATE TABLE signature_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL "
        "REFERENCES articles(id), PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db["signature_bands"].create_index(["article_id"])


@migrations()
def m007_view_sources(db: Database) -> None:
    # Where each view count came from: the page itself, or a counter script (its URL). Articles
    # keep their counter URL (for later readings) and how many pages were joined into them.
    db["view_counts"].add_column("counter_url", str)
    db["articles"].add_column("counter_url", str)
    db["articles"].add_column("pages", int)


@migrations()
def m008_distributed(db: Database) -> None:
    # A distributed crawl is one crawls row per worker process, named here; the writer finds
    # the row again after a restart. `ingested` holds the id of every message the writer
    # committed, in the same transaction, so a replayed message is recognised and skipped.
    db["crawls"].add_column("worker", str)
    db["crawls"].create_index(["worker"])
    db["ingested"].create({"id": str, "at": str}, pk="id")


@migrations()
def m009_snapshot_dictionaries(db: Database) -> None:
    # zstd dictionaries trained on a site's own pages (pingan_crawler/compression.py); a body
    # packed with one says so in snapshot_bodies.compression as "zstd:<id>". Never updated.
    db["snapshot_dictionaries"].create(
        {"id": int, "site": str, "created_at": str, "samples": int, "size": int, "data": bytes},
        pk="id",
    )
    db["snapshot_dictionaries"].create_index(["site"])


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

    # -- reposts ------------------------------------------------------------------------------
    def _sign_and_cluster(self, article_id: int, body: str) -> int | None:
        """Sign a stored article's body and put it in the cluster of its near-duplicates.

        Candidates come from its LSH band keys (an indexed lookup); each is confirmed from the
        two signatures (reposts.Similarity). Runs inside the caller's transaction; returns the
        cluster id, or None when nothing matched (an article keeps a cluster it already had).
        """
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        self.db.execute("DELETE FROM signature_bands WHERE article_id = ?", [article_id])
        row = dict.fromkeys(
            ("minhash", "shingles", "chars", "match_id", "match_jaccard", "match_containment")
        )
        row.update(article_id=article_id, version=reposts.SIGNATURE_VERSION)
        sig = reposts.signature(body)
        matches: list[tuple[int, reposts.Similarity]] = []
        if sig is not None:
            keys = sorted(set(sig.band_keys()))
            matches = self._repost_matches(article_id, body, sig, keys)
            row.update(minhash=sig.to_bytes(), shingles=sig.shingle_count, chars=sig.chars)
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO signature_bands (key, article_id) VALUES (?, ?)",
                [(key, article_id) for key in keys],
            )
        if matches:
            best_id, best = max(matches, key=lambda m: (m[1].jaccard, -m[0]))
            row.update(
                match_id=best_id,
                match_jaccard=round(best.jaccard, 3),
                match_containment=round(best.containment, 3),
            )
        columns = ", ".join(row)
        self.db.execute(
            f"INSERT OR REPLACE INTO article_signatures ({columns}) "
            f"VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        if not matches:
            return None
        return self._join_cluster([article_id, *(m[0] for m in matches)])

    def _repost_matches(
        self, article_id: int, body: str, sig: reposts.Signature, keys: list[int]
    ) -> list[tuple[int, reposts.Similarity]]:
        """Archived articles sharing a band key with ``sig`` and confirmed as the same text:
        by the signatures when they are clear, else by the two bodies' exact n-gram sets."""
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        marks = ",".join("?" * len(keys))
        rows = self.db.execute(
            "SELECT article_id, minhash, shingles, chars FROM article_signatures "
            f"WHERE article_id IN (SELECT article_id FROM signature_bands WHERE key IN ({marks})) "
            "AND article_id != ? AND version = ? AND minhash IS NOT NULL",
            [*keys, article_id, reposts.SIGNATURE_VERSION],
        ).fetchall()
        found = []
        grams: set[str] | None = None  # this body's n-grams, made once if a borderline needs them
        for other_id, blob, count, chars in rows:
            estimate = reposts.similarity(sig, reposts.Signature.from_bytes(blob, count, chars))
            verdict = estimate.verdict
            if verdict is None:
                (other_body,) = self.db.execute(
                    "SELECT body FROM articles WHERE id = ?", [other_id]
                ).fetchone()
                if grams is None:
                    grams = reposts.shingles(reposts.normalise(body))
                exact = reposts.text_similarity(grams, other_body or "")
                if exact.same_article:
                    found.append((other_id, exact))
            elif verdict:
                found.append((other_id, estimate))
        return found

    def _join_cluster(self, article_ids: list[int]) -> int:
        """Put the articles in one cluster, merging the clusters some of them already had."""
        marks = ",".join("?" * len(article_ids))
        clusters = [
            row[0]
            for row in self.db.execute(
                f"SELECT DISTINCT cluster_id FROM articles WHERE id IN ({marks}) "
                "AND cluster_id IS NOT NULL ORDER BY cluster_id",
                article_ids,
            )
        ]
        if clusters:
            target = clusters[0]
            for other in clusters[1:]:
                self.db.execute(
                    "UPDATE articles SET cluster_id = ? WHERE cluster_id = ?", [target, other]
                )
                self.db.execute("DELETE FROM repost_clusters WHERE id = ?", [other])
        else:
            target = self.db.execute(
                "INSERT INTO repost_clusters (created_at) VALUES (?)", [now_iso()]
            ).lastrowid
        self.db.execute(
            f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks})", [target, *article_ids]
        )
        self._refresh_cluster(target)
        return target

    _CLUSTER_ORDER = "ORDER BY published_at IS NULL, published_at, first_seen, id"

    def _refresh_cluster(self, cluster_id: int) -> None:
        """The cluster's original (earliest published; ties: first seen) and its summary."""
        members = self.db.execute(
            f"SELECT id, site, published_at FROM articles WHERE cluster_id = ? "
            f"{self._CLUSTER_ORDER}",
            [cluster_id],
        ).fetchall()
        published = [m[2] for m in members if m[2]]
        self.db.execute(
            "UPDATE repost_clusters SET original_id = ?, size = ?, sites = ?, "
            "first_published = ?, last_published = ?, updated_at = ? WHERE id = ?",
            [
                members[0][0],
                len(members),
                json.dumps(sorted({m[1] or "" for m in members}), ensure_ascii=False),
                min(published, default=None),
                max(published, default=None),
                now_iso(),
                cluster_id,
            ],
        )

    def rebuild_reposts(self) -> dict[str, int]:
        """Sign every article again and recluster from scratch, oldest first (idempotent)."""
        with self.db.atomic():
            self.db.execute("DELETE FROM signature_bands")
            self.db.execute("DELETE FROM article_signatures")
            self.db.execute("UPDATE articles SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
            self.db.execute("DELETE FROM repost_clusters")
            rows = self.db.execute(f"SELECT id, body FROM articles {self._CLUSTER_ORDER}")
            for article_id, body in rows.fetchall():
                self._sign_and_cluster(article_id, body or "")
        return self.repost_summary()

    def repost_summary(self) -> dict[str, int]:
        """How many articles are signed, too short to sign, not yet signed, and clustered."""
        from pingan_crawler import reposts  # numpy and zhconv load only when first needed

        one = self.db.execute
        return {
            "articles": one("SELECT count(*) FROM articles").fetchone()[0],
            "signed": one(
                "SELECT count(*) FROM article_signatures WHERE minhash IS NOT NULL AND version = ?",
                [reposts.SIGNATURE_VERSION],
            ).fetchone()[0],
            "too_short": one(
                "SELECT count(*) FROM article_signatures WHERE minhash IS NULL"
            ).fetchone()[0],
            "unsigned": one(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM "
                "article_signatures s WHERE s.article_id = a.id AND s.version = ?)",
                [reposts.SIGNATURE_VERSION],
            ).fetchone()[0],
            "clusters": one("SELECT count(*) FROM repost_clusters").fetchone()[0],
            "clustered": one(
                "SELECT count(*) FROM articles WHERE cluster_id IS NOT NULL"
            ).fetchone()[0],
        }

    def repost_clusters(self, site: str | None = None, since: datetime | None = None) -> list[dict]:
        """Clusters (newest original first), each with its members, original first.

        ``site``: clusters with a member on that site; ``since``: clusters whose original was
        published at or after that time.
        """
        where, params = [], []
        if site:
            where.append(
                "EXISTS (SELECT 1 FROM articles m WHERE m.cluster_id = c.id AND m.site = ?)"
            )
            params.append(site)
        if since:
            where.append("c.first_published >= ?")
            params.append(since.isoformat(timespec="seconds"))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        cursor = self.db.execute(
            f"SELECT * FROM repost_clusters c {clause} "
            "ORDER BY c.first_published IS NULL, c.first_published DESC, c.id",
            params,
        )
        names = [d[0] for d in cursor.description]
        clusters = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for cluster in clusters:
            cursor = self.db.execute(
                "SELECT a.id, a.url, a.site, a.section, a.title, a.published_at, a.source, "
                "a.view_count, a.first_seen, s.match_id, s.match_jaccard, s.match_containment "
                "FROM articles a LEFT JOIN article_signatures s ON s.article_id = a.id "
                "WHERE a.cluster_id = ? "
                "ORDER BY a.published_at IS NULL, a.published_at, a.first_seen, a.id",
                [cluster["id"]],
            )
            names = [d[0] for d in cursor.description]
            cluster["sites"] = json.loads(cluster["sites"] or "[]")
            cluster["members"] = [dict(zip(names, row, strict=True)) for row in cursor]
        return clusters

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

    # -- snapshot packing (see compression.py) ----------------------------------------------------
    def _dictionary(self, dict_id: int) -> bytes:
        row = self.db.execute(
            "SELECT data FROM snapshot_dictionaries WHERE id = ?", [dict_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"snapshot dictionary {dict_id} is missing: the archive is damaged")
        return row[0]

    def _packer(self, site: str) -> compression.DictPacker | None:
        """The site's newest dictionary, trained now if the site has enough zlib bodies."""
        if site in self._packers:
            return self._packers[site]
        row = self.db.execute(
            "SELECT id, data FROM snapshot_dictionaries WHERE site = ? ORDER BY id DESC LIMIT 1",
            [site],
        ).fetchone()
        packer = compression.DictPacker(*row) if row else None
        if packer is None:
            self._zlib_bodies[site] = self._zlib_body_count(site)
            if self._zlib_bodies[site] >= compression.TRAIN_AFTER:
                packer = self._train(site)
        self._packers[site] = packer
        return packer

    def _zlib_body_count(self, site: str) -> int:
        return self.db.execute(
            "SELECT count(DISTINCT b.sha256) FROM snapshot_bodies b "
            "JOIN snapshots s ON s.sha256 = b.sha256 WHERE s.site = ? AND b.compression = ?",
            [site, compression.ZLIB],
        ).fetchone()[0]

    def _train(self, site: str) -> compression.DictPacker | None:
        rows = self.db.execute(
            "SELECT b.compression, b.data FROM snapshot_bodies b WHERE b.sha256 IN "
            "(SELECT sha256 FROM snapshots WHERE site = ? ORDER BY id DESC LIMIT ?)",
            [site, compression.TRAIN_SAMPLES],
        ).fetchall()
        samples = [self._unpacker.unpack(label, data) for label, data in rows]
        dictionary = compression.train(samples)
        if dictionary is None:
            return None
        dict_id = (
            self.db["snapshot_dictionaries"]
            .insert(
                {
                    "site": site,
                    "created_at": now_iso(),
                    "samples": len(samples),
                    "size": len(dictionary),
                    "data": dictionary,
                }
            )
            .last_pk
        )
        return compression.DictPacker(dict_id, dictionary)

    def _pack(self, site: str, body: bytes) -> tuple[str, bytes]:
        packer = self._packer(site)
        if packer is not None:
            return packer.pack(body)
        count = self._zlib_bodies.get(site, 0) + 1
        self._zlib_bodies[site] = count
        if count % compression.TRAIN_AFTER == 0:
            del self._packers[site]  # look again (and train) at the next body
        return compression.pack_zlib(body)

    def compact(self, batch: int = 500) -> dict[str, int]:
        """Repack zlib bodies with their site's dictionary (training one where there is enough).

        Returns bodies repacked and bytes before/after. Run VACUUM afterwards to give the freed
        pages back to the file system.
        """
        totals = {"bodies": 0, "bytes_before": 0, "bytes_after": 0}
        sites = [row[0] for row in self.db.execute("SELECT DISTINCT site FROM snapshots")]
        for site in sites:
            packer = self._packer(site)
            if packer is None:
                continue
            while True:
                rows = self.db.execute(
                    "SELECT b.sha256, b.data FROM snapshot_bodies b WHERE b.compression = ? "
                    "AND b.sha256 IN (SELECT sha256 FROM snapshots WHERE site = ?) LIMIT ?",
                    [compression.ZLIB, site, batch],
                ).fetchall()
                if not rows:
                    break
                with self.db.atomic():
                    for digest, data in rows:
                        label, packed = packer.pack(self._unpacker.unpack(compression.ZLIB, data))
                        self.db.execute(
                            "UPDATE snapshot_bodies SET compression = ?, data = ? WHERE sha256 = ?",
                            [label, packed, digest],
                        )
                        totals["bodies"] += 1
                        totals["bytes_before"] += len(data)
                        totals["bytes_after"] += len(packed)
        return totals

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
