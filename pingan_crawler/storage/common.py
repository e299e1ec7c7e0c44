"""What every part of the archive shares: the clock, the body hash, and a fast row insert."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import datetime

from sqlite_utils import Database

from pingan_crawler.parsing.dates import SHANGHAI


def now_iso() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    """Hash of the body text with whitespace and width differences folded away."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", body))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def insert_row(db: Database, table: str, row: dict) -> int:
    """INSERT one row of plain values; its rowid. (sqlite-utils' insert reads the table's
    schema on every call: on the per-page path that was a tenth of a crawl's time.)"""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    cursor = db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
    return cursor.lastrowid


def as_dicts(cursor: sqlite3.Cursor) -> Iterator[dict]:
    """The rows of ``cursor`` as column → value dicts."""
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def require_transaction(db: Database, what: str) -> None:
    """The write functions that a batch writer wraps run inside the caller's transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError(f"{what} must run inside `with archive.transaction():`")
