"""The record of crawling: ``crawls`` (one row per run, or per worker process of a distributed
run), ``errors`` (every page that failed or was not an article) and ``section_walks`` (sections
whose list was walked to its end: only those may stop paging early on the next run).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from pingan_crawler.storage.common import as_dicts, insert_row, now_iso, require_transaction
from pingan_crawler.storage.outcome import Outcome


def _stat(stats: dict, key: str) -> int:
    return int(stats.get(key, 0) or 0)


class Crawls:
    """Owns crawls, errors and section_walks."""

    def __init__(self, db: Database):
        self.db = db

    # -- runs ------------------------------------------------------------------------------------
    def start(self, site: str, args: dict) -> int:
        """A new run's row (committed at once, so a killed run still shows)."""
        with self.db.atomic():
            return insert_row(
                self.db,
                "crawls",
                {
                    "site": site,
                    "started_at": now_iso(),
                    "args": json.dumps(args, ensure_ascii=False, default=str),
                },
            )

    def finish(self, crawl_id: int, reason: str, stats: dict) -> None:
        """Close a local run's row from its Scrapy stats (the ``archive/…`` counters)."""
        self._update(
            crawl_id,
            {
                "finished_at": now_iso(),
                "finish_reason": reason,
                "requests": _stat(stats, "downloader/request_count"),
                "pages": _stat(stats, "downloader/response_count"),
                "articles_new": _stat(stats, "archive/new"),
                "articles_updated": _stat(stats, "archive/updated"),
                "duplicates": _stat(stats, "archive/duplicate"),
                "errors": _stat(stats, "archive/errors"),
                "blocked": _stat(stats, "archive/blocked"),
                "blocked_by": stats.get("archive/blocked_by"),
                "stats": json.dumps(stats, default=str, ensure_ascii=False),
            },
        )

    def worker_crawl(self, site: str, worker: str, args: dict, started_at: str) -> int:
        """The row of one worker process of a distributed crawl, created on first sight."""
        row = self.db.execute("SELECT id FROM crawls WHERE worker = ?", [worker]).fetchone()
        if row:
            return row[0]
        with self.db.atomic():
            return insert_row(
                self.db,
                "crawls",
                {
                    "site": site,
                    "worker": worker,
                    "started_at": started_at or now_iso(),
                    "args": json.dumps(args, ensure_ascii=False, default=str),
                    "articles_new": 0,
                    "articles_updated": 0,
                    "duplicates": 0,
                    "errors": 0,
                },
            )

    def count(self, crawl_id: int, outcome: Outcome) -> None:
        """Add one item's outcome to its run's counters (a worker's run counts as it goes)."""
        column = outcome.crawl_column
        if column:
            self.db.execute(
                f"UPDATE crawls SET {column} = coalesce({column}, 0) + 1 WHERE id = ?", [crawl_id]
            )

    def finish_worker(self, crawl_id: int, reason: str, worker_stats: dict) -> None:
        """Close a worker's row: its fetch counts and stats (item counts were added as stored)."""
        self._update(
            crawl_id,
            {
                "finished_at": now_iso(),
                "finish_reason": reason,
                "requests": _stat(worker_stats, "downloader/request_count"),
                "pages": _stat(worker_stats, "downloader/response_count"),
                "blocked": _stat(worker_stats, "archive/blocked"),
                "stats": json.dumps(worker_stats, default=str, ensure_ascii=False),
            },
        )

    def _update(self, crawl_id: int, fields: dict) -> None:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.db.atomic():
            self.db.execute(
                f"UPDATE crawls SET {assignments} WHERE id = ?", [*fields.values(), crawl_id]
            )

    # -- errors and walked sections (inside the caller's transaction) ----------------------------
    def add_error(
        self,
        crawl_id: int | None,
        url: str,
        kind: str,
        detail: str,
        *,
        http_status: int | None = None,
        snapshot_id: int | None = None,
        warnings: tuple[str, ...] | list[str] = (),
    ) -> int:
        """One ``errors`` row (``kind`` from pingan_crawler/errorkinds.py)."""
        require_transaction(self.db, "Crawls.add_error")
        return insert_row(
            self.db,
            "errors",
            {
                "crawl_id": crawl_id,
                "at": now_iso(),
                "url": url,
                "kind": kind,
                "detail": detail,
                "http_status": http_status,
                "snapshot_id": snapshot_id,
                "warnings": json.dumps(list(warnings), ensure_ascii=False) if warnings else None,
            },
        )

    def mark_walked(self, site: str, section: str, reason: str, crawl_id: int | None) -> None:
        require_transaction(self.db, "Crawls.mark_walked")
        self.db.execute(
            "INSERT INTO section_walks (site, section, completed_at, crawl_id, reason) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, section) DO UPDATE SET "
            "completed_at = excluded.completed_at, crawl_id = excluded.crawl_id, "
            "reason = excluded.reason",
            [site, section, now_iso(), crawl_id, reason],
        )

    # -- reads -----------------------------------------------------------------------------------
    def walked_sections(self, site: str) -> set[str]:
        return {
            row[0]
            for row in self.db.execute("SELECT section FROM section_walks WHERE site = ?", [site])
        }

    def sites_walked(self) -> list[str]:
        """Sites with at least one walked section."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT site FROM section_walks")]

    def last_mirror(self, site: str) -> str:
        """Where the latest run of ``site`` fetched it from (its ``--base-url``), or ""."""
        row = self.db.execute(
            "SELECT json_extract(args, '$.mirror_url') FROM crawls WHERE site = ? "
            "ORDER BY id DESC LIMIT 1",
            [site],
        ).fetchone()
        return (row[0] or "") if row else ""

    def get(self, crawl_id: int | None = None) -> dict | None:
        """One ``crawls`` row (the latest when ``crawl_id`` is None), or None."""
        where, params = ("WHERE id = ?", [crawl_id]) if crawl_id is not None else ("", [])
        cursor = self.db.execute(f"SELECT * FROM crawls {where} ORDER BY id DESC LIMIT 1", params)
        return next(as_dicts(cursor), None)

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

    def status(self) -> list[dict]:
        """Per site: the last run, its outcome and errors, articles archived, newest article."""
        rows = []
        for (site,) in self.db.execute(
            "SELECT site FROM crawls UNION SELECT site FROM articles ORDER BY 1"
        ).fetchall():
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
