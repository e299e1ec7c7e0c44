"""Fixity: prove every stored page body is still the bytes that were fetched.

Each body is stored compressed (zlib, or zstd with its site's dictionary) under the sha256 of
its uncompressed bytes, so recomputing the hash proves it intact. Also checked: every snapshot
points at a stored body, the recorded sizes agree, and SQLite's own ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field

from pingan_crawler.compression import unpacker_for


@dataclass
class VerifyReport:
    bodies: int = 0
    bytes: int = 0
    snapshots: int = 0
    problems: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.integrity == ["ok"]


def verify(conn: sqlite3.Connection) -> VerifyReport:
    """Check every body, every snapshot's link to its body, and the database file."""
    report = VerifyReport()
    unpacker = unpacker_for(conn)
    cursor = conn.execute("SELECT sha256, size, compression, data FROM snapshot_bodies")
    while batch := cursor.fetchmany(200):
        for digest, size, compression, data in batch:
            report.bodies += 1
            try:
                body = unpacker.unpack(compression, data)
            except ValueError as exc:
                report.problems.append(f"body {digest}: unreadable: {exc}")
                continue
            report.bytes += len(body)
            actual = hashlib.sha256(body).hexdigest()
            if actual != digest:
                report.problems.append(
                    f"body {digest}: sha256 mismatch, the bytes hash to {actual}"
                )
            elif size is not None and size != len(body):
                report.problems.append(f"body {digest}: size {size} recorded, {len(body)} stored")
    for snap_id, url, digest, size, stored, body_size in conn.execute(
        "SELECT s.id, s.url, s.sha256, s.size, b.sha256, b.size FROM snapshots s "
        "LEFT JOIN snapshot_bodies b ON b.sha256 = s.sha256"
    ):
        report.snapshots += 1
        if stored is None:
            report.problems.append(f"snapshot {snap_id} ({url}): body {digest} is missing")
        elif size is not None and body_size is not None and size != body_size:
            report.problems.append(
                f"snapshot {snap_id} ({url}): size {size} recorded, body has {body_size}"
            )
    report.integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    return report
