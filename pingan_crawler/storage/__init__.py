"""The archive: one SQLite file, and the only package that knows its schema.

Who owns what (each reachable from an :class:`Archive`; schema.sql shows every table):

- ``archive.snapshots`` (snapshots.py): fetched pages, their bytes (zlib or zstd) and dictionaries.
- ``archive.articles`` (articles.py): articles, their versions and changes (edits, removals,
  restores), their URLs, listings, view counts, full-text index.
- ``archive.reposts`` (reposts.py): near-duplicate signatures and repost clusters.
- ``archive.crawls`` (crawls.py): runs, errors, walked sections, ``pingan status``.
- ``archive.ingest`` (ingest.py): message ids ``pingan ingest`` committed.
- schema.py: migrations m001…, run on open; state.py: what an incremental crawl reads first.

Storing an item is one call of items.py: ``store(archive, crawl_id, item) -> Outcome`` commits
it alone; ``write(archive, crawl_id, item)`` runs inside ``with archive.transaction():`` so a
writer can commit a batch; ``validate``/``identify``/``accept`` are the pipelines' steps.
Storage imports nothing from analysis, the CLI or Scrapy; zstandard loads on first use.
"""

from pingan_crawler.storage.archive import Archive
from pingan_crawler.storage.common import content_hash, now_iso
from pingan_crawler.storage.items import accept, identify, store, validate, write
from pingan_crawler.storage.outcome import Outcome
from pingan_crawler.storage.schema import migrations
from pingan_crawler.storage.selection import Selection
from pingan_crawler.storage.state import ArchiveState

__all__ = [
    "Archive",
    "ArchiveState",
    "Outcome",
    "Selection",
    "accept",
    "content_hash",
    "identify",
    "migrations",
    "now_iso",
    "store",
    "validate",
    "write",
]
