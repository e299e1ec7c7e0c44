"""The archive: one SQLite file, opened with the settings every reader and writer relies on.

One file holds everything (articles, every fetched page's bytes, crawl records), so an archive
backs up and moves as one. WAL lets analysts read while a crawl writes; busy_timeout makes
writers wait instead of failing; synchronous=NORMAL in WAL mode loses nothing committed when
the process is killed (only an OS crash may lose the last transactions). Each group of tables
has one owner, reachable from here: ``snapshots``, ``articles``, ``reposts``, ``crawls``,
``ingest``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from pingan_crawler.storage.articles import Articles
from pingan_crawler.storage.crawls import Crawls
from pingan_crawler.storage.ingest import IngestLog
from pingan_crawler.storage.reposts import Reposts
from pingan_crawler.storage.schema import migrations
from pingan_crawler.storage.snapshots import Snapshots

BUSY_TIMEOUT_MS = 10_000
COUNTED_TABLES = ("articles", "article_urls", "snapshots", "snapshot_bodies", "errors", "crawls")


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
        self.snapshots = Snapshots(self.db)
        self.articles = Articles(self.db)
        self.reposts = Reposts(self.db)
        self.crawls = Crawls(self.db)
        self.ingest = IngestLog(self.db)

    @contextmanager
    def transaction(self) -> Iterator[Archive]:
        """Everything inside commits together or not at all; nested, it is a savepoint.

        The ``write`` functions of storage/items.py run inside one; a writer may put one item
        or a batch of items in it.
        """
        try:
            with self.db.atomic():
                yield self
        except BaseException:
            self.snapshots.forget_cached_state()  # a dictionary trained inside is gone
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def counts(self) -> dict[str, int]:
        """Rows in the main tables (a quick summary; ``pingan status`` has more)."""
        return {
            name: self.db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in COUNTED_TABLES
        }

    def checkpoint(self) -> None:
        """Move every WAL page into the main file (readers in immutable mode read only that)."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vacuum(self) -> None:
        """Give the pages freed by deletes and repacking back to the file system."""
        self.db.execute("VACUUM")

    def integrity_check(self) -> list[str]:
        """SQLite's own check of the file: ``["ok"]`` when it is sound."""
        return [row[0] for row in self.db.execute("PRAGMA integrity_check")]
