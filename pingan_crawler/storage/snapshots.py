"""Every fetched page: ``snapshots`` (one row per distinct URL + bytes), ``snapshot_bodies`` (the
bytes, stored once per sha256, compressed) and ``snapshot_dictionaries`` (the zstd dictionaries
trained per site that pack them; see pingan_crawler/compression.py).

A site's first bodies are zlib; once it has ``compression.TRAIN_AFTER`` of them a dictionary is
trained inside the transaction that stores the next one, and later bodies use it. Dictionaries
are never changed, so every body stays readable. zstandard loads only when a body is packed or
read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from sqlite_utils import Database

from pingan_crawler.items import Snapshot
from pingan_crawler.storage.common import insert_row, now_iso, require_transaction
from pingan_crawler.storage.selection import Selection

if TYPE_CHECKING:
    from pingan_crawler import compression


class Fetch(NamedTuple):
    """One stored fetch, without its bytes (``Snapshots.body(sha256)`` reads them)."""

    url: str
    fetched_at: str
    status: int
    headers: dict[str, list[str]]
    sha256: str
    size: int


class BodyCheck(NamedTuple):
    """One stored body as read back: its bytes, or why they cannot be read."""

    sha256: str
    size: int | None
    body: bytes | None
    problem: str | None


class SnapshotLink(NamedTuple):
    """A snapshot row and the body it points at (``body_size`` None: the body is missing)."""

    id: int
    url: str
    sha256: str
    size: int | None
    body_size: int | None
    body_stored: bool


class Snapshots:
    """Owns snapshots, snapshot_bodies and snapshot_dictionaries, and the packers' caches."""

    def __init__(self, db: Database):
        self.db = db
        self._unpacker_instance: compression.Unpacker | None = None
        self._packers: dict[str, compression.DictPacker | None] = {}
        self._zlib_bodies: dict[str, int] = {}  # per site, while it has no dictionary

    # -- writes ----------------------------------------------------------------------------------
    def put(self, snap: Snapshot, site: str, kind: str, crawl_id: int | None) -> int:
        """Insert the fetch (or bump the same URL + bytes seen before); its snapshot id.

        Bodies are stored once per sha256. Runs inside the caller's transaction.
        """
        require_transaction(self.db, "Snapshots.put")
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
        return insert_row(
            self.db,
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

    def compact(self, batch: int = 500) -> dict[str, int]:
        """Repack zlib bodies with their site's dictionary (training one where there is enough).

        Returns bodies repacked and bytes before/after; one transaction per ``batch`` bodies.
        Run VACUUM afterwards to give the freed pages back to the file system.
        """
        from pingan_crawler import compression

        totals = {"bodies": 0, "bytes_before": 0, "bytes_after": 0}
        sites = [row[0] for row in self.db.execute("SELECT DISTINCT site FROM snapshots")]
        for site in sites:
            with self.db.atomic():
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

    def forget_cached_state(self) -> None:
        """After a rollback: a dictionary trained in it is gone, so its packer must be too."""
        self._packers.clear()
        self._zlib_bodies.clear()

    # -- reads -----------------------------------------------------------------------------------
    def body(self, sha256: str) -> bytes:
        """The page bytes stored under ``sha256``; KeyError if none, ValueError if damaged."""
        row = self.db.execute(
            "SELECT compression, data FROM snapshot_bodies WHERE sha256 = ?", [sha256]
        ).fetchone()
        if row is None:
            raise KeyError(f"no stored body with sha256 {sha256}")
        return self._unpacker.unpack(*row)

    def latest(self, url: str) -> tuple[bytes, dict[str, list[str]]] | None:
        """The bytes and headers of the latest stored fetch of ``url``, if any."""
        row = self.db.execute(
            "SELECT sha256, headers FROM snapshots WHERE url = ? "
            "ORDER BY last_fetched_at DESC, id DESC LIMIT 1",
            [url],
        ).fetchone()
        return (self.body(row[0]), json.loads(row[1] or "{}")) if row else None

    def fetches(self, selection: Selection | None = None, batch: int = 100) -> Iterator[Fetch]:
        """Every stored fetch in fetch order; ``selection`` bounds site and ``fetched_at``."""
        where, params = (selection or Selection()).where("s", time_column="fetched_at")
        cursor = self.db.execute(
            "SELECT s.url, s.fetched_at, s.status, s.headers, s.sha256, b.size "
            f"FROM snapshots s JOIN snapshot_bodies b ON b.sha256 = s.sha256 WHERE {where} "
            "ORDER BY s.fetched_at, s.id",
            params,
        )
        while rows := cursor.fetchmany(batch):
            for url, fetched_at, status, headers, digest, size in rows:
                yield Fetch(url, fetched_at, status, json.loads(headers or "{}"), digest, size)

    def check_bodies(self, batch: int = 200) -> Iterator[BodyCheck]:
        """Every stored body read back (for fixity checks: compare its sha256 and size)."""
        cursor = self.db.execute("SELECT sha256, size, compression, data FROM snapshot_bodies")
        while rows := cursor.fetchmany(batch):
            for digest, size, label, data in rows:
                try:
                    yield BodyCheck(digest, size, self._unpacker.unpack(label, data), None)
                except ValueError as exc:
                    yield BodyCheck(digest, size, None, str(exc))

    def links(self) -> Iterator[SnapshotLink]:
        """Every snapshot with the body it points at."""
        for snap_id, url, digest, size, stored, body_size in self.db.execute(
            "SELECT s.id, s.url, s.sha256, s.size, b.sha256, b.size FROM snapshots s "
            "LEFT JOIN snapshot_bodies b ON b.sha256 = s.sha256"
        ):
            yield SnapshotLink(snap_id, url, digest, size, body_size, stored is not None)

    # -- packing (see compression.py) ------------------------------------------------------------
    @property
    def _unpacker(self) -> compression.Unpacker:
        if self._unpacker_instance is None:
            from pingan_crawler import compression

            self._unpacker_instance = compression.Unpacker(self._dictionary)
        return self._unpacker_instance

    def _dictionary(self, dict_id: int) -> bytes:
        row = self.db.execute(
            "SELECT data FROM snapshot_dictionaries WHERE id = ?", [dict_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"snapshot dictionary {dict_id} is missing: the archive is damaged")
        return row[0]

    def _packer(self, site: str) -> compression.DictPacker | None:
        """The site's newest dictionary, trained now if the site has enough zlib bodies."""
        from pingan_crawler import compression

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
        from pingan_crawler import compression

        return self.db.execute(
            "SELECT count(DISTINCT b.sha256) FROM snapshot_bodies b "
            "JOIN snapshots s ON s.sha256 = b.sha256 WHERE s.site = ? AND b.compression = ?",
            [site, compression.ZLIB],
        ).fetchone()[0]

    def _train(self, site: str) -> compression.DictPacker | None:
        from pingan_crawler import compression

        rows = self.db.execute(
            "SELECT b.compression, b.data FROM snapshot_bodies b WHERE b.sha256 IN "
            "(SELECT sha256 FROM snapshots WHERE site = ? ORDER BY id DESC LIMIT ?)",
            [site, compression.TRAIN_SAMPLES],
        ).fetchall()
        samples = [self._unpacker.unpack(label, data) for label, data in rows]
        dictionary = compression.train(samples)
        if dictionary is None:
            return None
        dict_id = insert_row(
            self.db,
            "snapshot_dictionaries",
            {
                "site": site,
                "created_at": now_iso(),
                "samples": len(samples),
                "size": len(dictionary),
                "data": dictionary,
            },
        )
        return compression.DictPacker(dict_id, dictionary)

    def _pack(self, site: str, body: bytes) -> tuple[str, bytes]:
        from pingan_crawler import compression

        packer = self._packer(site)
        if packer is not None:
            return packer.pack(body)
        count = self._zlib_bodies.get(site, 0) + 1
        self._zlib_bodies[site] = count
        if count % compression.TRAIN_AFTER == 0:
            del self._packers[site]  # look again (and train) at the next body
        return compression.pack_zlib(body)
