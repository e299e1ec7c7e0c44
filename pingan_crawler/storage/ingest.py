"""What the one writer of a distributed crawl (``pingan ingest``) remembers: ``ingested``, the id
of every message it committed, written in the same transaction as what the message stored, so a
message replayed after a crash is recognised and skipped. (A worker's ``crawls`` row is
storage/crawls.py's.)
"""

from __future__ import annotations

from sqlite_utils import Database

from pingan_crawler.storage.common import now_iso, require_transaction


class IngestLog:
    """Owns ingested."""

    def __init__(self, db: Database):
        self.db = db

    def seen(self, message_id: str) -> bool:
        """Whether a message with this id was committed before."""
        return bool(self.db.execute("SELECT 1 FROM ingested WHERE id = ?", [message_id]).fetchone())

    def mark(self, message_id: str) -> None:
        """Record a message as committed: call inside the transaction that stored it."""
        require_transaction(self.db, "IngestLog.mark")
        self.db.execute("INSERT INTO ingested (id, at) VALUES (?, ?)", [message_id, now_iso()])

    def forget_before(self, cutoff: str) -> int:
        """Drop records older than ``cutoff`` (ISO time): replays come within minutes."""
        with self.db.atomic():
            return self.db.execute("DELETE FROM ingested WHERE at < ?", [cutoff]).rowcount
