"""Articles and what is known about them: ``articles`` (one row per article, its parsed fields
and its full-text index ``articles_fts``), ``article_urls`` (every URL it was found under),
``listings`` (which section lists which URL) and ``view_counts`` (each reading of its views).

:meth:`Articles.write` is the one place an article row is inserted or changed by a crawl: a
known URL updates its article, a new URL whose body is archived becomes another URL of that
article, anything else is a new article. ``articles.cluster_id`` belongs to storage/reposts.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from sqlite_utils import Database

from pingan_crawler.parsing.model import Article, Link
from pingan_crawler.storage.common import as_dicts, insert_row, require_transaction
from pingan_crawler.storage.outcome import Outcome
from pingan_crawler.storage.selection import Selection

# Bodies shorter than this are too generic to prove two pages are the same article.
MIN_DEDUP_BODY_CHARS = 80
# The trigram index finds substrings of at least this many characters; shorter ones are scanned.
TRIGRAM = 3
SEARCH_ORDERS = ("relevance", "recent")


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
        "pages": article.pages,
        "warnings": json.dumps(list(article.warnings), ensure_ascii=False),
        "content_hash": body_hash,
        "snapshot_id": snapshot_id,
    }


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
    ) -> tuple[int, Outcome]:
        """Store one parsed article fetched at canonical ``url``; its id and what happened.

        ``section`` is the section it was listed in (the page's own, if it names one, wins);
        ``seen`` the time stamped on first_seen/last_seen.
        """
        require_transaction(self.db, "Articles.write")
        known = self.db.execute(
            "SELECT a.id, a.content_hash FROM article_urls u "
            "JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            [url],
        ).fetchone()
        if known:
            article_id, old_hash = known
            fields = {"last_seen": seen}
            if old_hash == body_hash:
                outcome = Outcome.UNCHANGED
            else:
                outcome = Outcome.UPDATED
                fields.update(article_row(article, body_hash, snapshot_id))
                fields.pop("section")  # the section it was first listed in stays
            self._update(article_id, fields)
            self.db.execute("UPDATE article_urls SET last_seen = ? WHERE url = ?", [seen, url])
            return article_id, outcome
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
            article_id, outcome = insert_row(self.db, "articles", row), Outcome.NEW
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
        not an edit made by the site."""
        require_transaction(self.db, "Articles.correct")
        self._update(article_id, changes)

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
