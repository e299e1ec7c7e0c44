"""What the one writer of a distributed crawl keeps in the archive."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlite_utils import Database

from pingan_crawler.storage.common import now_iso

if TYPE_CHECKING:
    pass


class IngestRecords:
    """Methods of :class:`pingan_crawler.storage.Archive`."""

    db: Database

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
