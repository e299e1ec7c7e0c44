"""The Redis keys the workers and the writer share: one place, so both sides name them alike."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "pingan"
ITEMS_KEY = f"{PREFIX}:items"  # items from every worker, oldest first
PROCESSING_KEY = f"{PREFIX}:items:processing"  # taken by the writer, not yet committed
DEAD_KEY = f"{PREFIX}:items:dead"  # messages the writer could not read (kept for a human)
INGEST_LOCK_KEY = f"{PREFIX}:ingest:lock"


@dataclass(frozen=True)
class SiteKeys:
    """The Redis keys of one site's shared crawl state."""

    site: str

    def _key(self, name: str) -> str:
        return f"{PREFIX}:{self.site}:{name}"

    @property
    def requests(self) -> str:  # the frontier: a sorted set (scrapy-redis PriorityQueue)
        return self._key("requests")

    @property
    def dupefilter(self) -> str:  # request fingerprints seen (persistent across runs)
        return self._key("dupefilter")

    @property
    def workers(self) -> str:  # ids of workers that joined (alive or not)
        return self._key("workers")

    def heartbeat(self, worker: str) -> str:  # exists while the worker lives
        return self._key(f"worker:{worker}")

    def inflight(self, worker: str) -> str:  # requests a worker took and has not finished
        return self._key(f"inflight:{worker}")

    @property
    def run(self) -> str:  # held while a run of this site is going on; its holder seeded it
        return self._key("run")

    @property
    def known(self) -> str:  # mirror of the archive's article URLs (written by the writer)
        return self._key("known")

    @property
    def walked(self) -> str:  # mirror of the archive's walked sections
        return self._key("walked")

    @property
    def start_urls(self) -> str:  # JSON list: a site with no profile is crawled from these
        return self._key("start_urls")

    @property
    def pending(self) -> str:  # mirror of "listed but not archived": url → section
        return self._key("pending")
