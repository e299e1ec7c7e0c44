"""Fixity: prove every stored page body is still the bytes that were fetched.

Each body is stored compressed (zlib, or zstd with its site's dictionary) under the sha256 of
its uncompressed bytes, so recomputing the hash proves it intact. Also checked: every snapshot
points at a stored body, the recorded sizes agree, and SQLite's own ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pingan_crawler.storage import Archive


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


def verify(archive: Archive) -> VerifyReport:
    """Check every body, every snapshot's link to its body, and the database file."""
    report = VerifyReport()
    for stored in archive.snapshots.check_bodies():
        report.bodies += 1
        if stored.body is None:
            report.problems.append(f"body {stored.sha256}: unreadable: {stored.problem}")
            continue
        report.bytes += len(stored.body)
        actual = hashlib.sha256(stored.body).hexdigest()
        if actual != stored.sha256:
            report.problems.append(
                f"body {stored.sha256}: sha256 mismatch, the bytes hash to {actual}"
            )
        elif stored.size is not None and stored.size != len(stored.body):
            report.problems.append(
                f"body {stored.sha256}: size {stored.size} recorded, {len(stored.body)} stored"
            )
    for link in archive.snapshots.links():
        report.snapshots += 1
        if not link.body_stored:
            problem = f"snapshot {link.id} ({link.url}): body {link.sha256} is missing"
            report.problems.append(problem)
        elif link.size is not None and link.body_size is not None and link.size != link.body_size:
            report.problems.append(
                f"snapshot {link.id} ({link.url}): size {link.size} recorded, "
                f"body has {link.body_size}"
            )
    report.integrity = archive.integrity_check()
    return report
