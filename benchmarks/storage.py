"""Storage: stored snapshot bytes / raw bytes, against zlib alone on the same bodies, and db bytes
per article.

``python -m benchmarks.storage DB`` reads an archive a crawl made (``python -m benchmarks`` makes
one).
"""

from __future__ import annotations

import argparse
import sqlite3
import zlib
from pathlib import Path

from benchmarks.harness import Row
from pingan_crawler.storage import Archive


def storage_rows(db: Path) -> list[Row]:
    archive = Archive(db)
    try:
        raw = archive.db.execute("SELECT sum(size) FROM snapshots").fetchone()[0]
        stored = archive.db.execute("SELECT sum(length(data)) FROM snapshot_bodies").fetchone()[0]
        dictionaries = archive.db.execute(
            "SELECT coalesce(sum(length(data)), 0) FROM snapshot_dictionaries"
        ).fetchone()[0]
        zlib_only = sum(
            len(zlib.compress(archive.snapshots.body(sha), 6))
            for (sha,) in archive.db.execute("SELECT sha256 FROM snapshot_bodies").fetchall()
        )
        articles = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        archive.close()
    with sqlite3.connect(db) as conn:  # the WAL folded in, so the file size is the archive's
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_bytes = db.stat().st_size
    ours = (stored + dictionaries) / raw
    baseline = zlib_only / raw
    return [
        Row(
            "storage",
            "stored snapshot bytes / raw bytes",
            ours,
            baseline,
            "zlib per page",
            ours / baseline,
            "≤ 0.25",
            ours <= 0.25,
        ),
        Row(
            "storage",
            f"db bytes per article ({articles} articles, all snapshots included)",
            db_bytes / articles,
            raw / articles,
            "raw page bytes per article",
            db_bytes / raw,
            "",
            None,
            "B",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    from benchmarks.report import table

    print(table(storage_rows(parser.parse_args().db)))


if __name__ == "__main__":
    main()
