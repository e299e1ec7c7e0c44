"""How the archive packs snapshot bodies: zlib, then a zstd dictionary per site."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlite_utils import Database

from pingan_crawler import compression
from pingan_crawler.storage.common import now_iso

if TYPE_CHECKING:
    pass


class SnapshotPacking:
    """Methods of :class:`pingan_crawler.storage.Archive`."""

    db: Database

    # -- snapshot packing (see compression.py) ----------------------------------------------------
    def _dictionary(self, dict_id: int) -> bytes:
        row = self.db.execute(
            "SELECT data FROM snapshot_dictionaries WHERE id = ?", [dict_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"snapshot dictionary {dict_id} is missing: the archive is damaged")
        return row[0]

    def _packer(self, site: str) -> compression.DictPacker | None:
        """The site's newest dictionary, trained now if the site has enough zlib bodies."""
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
        return self.db.execute(
            "SELECT count(DISTINCT b.sha256) FROM snapshot_bodies b "
            "JOIN snapshots s ON s.sha256 = b.sha256 WHERE s.site = ? AND b.compression = ?",
            [site, compression.ZLIB],
        ).fetchone()[0]

    def _train(self, site: str) -> compression.DictPacker | None:
        rows = self.db.execute(
            "SELECT b.compression, b.data FROM snapshot_bodies b WHERE b.sha256 IN "
            "(SELECT sha256 FROM snapshots WHERE site = ? ORDER BY id DESC LIMIT ?)",
            [site, compression.TRAIN_SAMPLES],
        ).fetchall()
        samples = [self._unpacker.unpack(label, data) for label, data in rows]
        dictionary = compression.train(samples)
        if dictionary is None:
            return None
        dict_id = (
            self.db["snapshot_dictionaries"]
            .insert(
                {
                    "site": site,
                    "created_at": now_iso(),
                    "samples": len(samples),
                    "size": len(dictionary),
                    "data": dictionary,
                }
            )
            .last_pk
        )
        return compression.DictPacker(dict_id, dictionary)

    def _pack(self, site: str, body: bytes) -> tuple[str, bytes]:
        packer = self._packer(site)
        if packer is not None:
            return packer.pack(body)
        count = self._zlib_bodies.get(site, 0) + 1
        self._zlib_bodies[site] = count
        if count % compression.TRAIN_AFTER == 0:
            del self._packers[site]  # look again (and train) at the next body
        return compression.pack_zlib(body)

    def compact(self, batch: int = 500) -> dict[str, int]:
        """Repack zlib bodies with their site's dictionary (training one where there is enough).

        Returns bodies repacked and bytes before/after. Run VACUUM afterwards to give the freed
        pages back to the file system.
        """
        totals = {"bodies": 0, "bytes_before": 0, "bytes_after": 0}
        sites = [row[0] for row in self.db.execute("SELECT DISTINCT site FROM snapshots")]
        for site in sites:
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
