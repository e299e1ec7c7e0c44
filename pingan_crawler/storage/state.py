"""What an incremental crawl reads before it starts, answered from the archive.

A spider asks four questions of its state reader; :class:`ArchiveState` answers them from the
SQLite archive, ``distributed.worker.RedisMirror`` from the writer's mirror in Redis.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pingan_crawler.storage.archive import Archive


class CrawlState(Protocol):
    def known_article_urls(self, site: str) -> Collection[str]:
        """Every URL archived for ``site`` (the crawl does not fetch them again)."""

    def walked_sections(self, site: str) -> set[str]:
        """Sections whose list was walked to its end once (they may stop paging early)."""

    def listed_not_archived(self, site: str) -> list[tuple[str, str]]:
        """(url, section) listed by an earlier run but never stored: fetched first."""

    def article_urls_published_since(self, site: str, since: datetime) -> list[str]:
        """Articles whose view counts ``refresh-views`` reads again."""

    def close(self) -> None: ...


class ArchiveState:
    """An archive as a :class:`CrawlState`; given a path, it opens the archive until
    :meth:`close`."""

    def __init__(self, archive: Archive | str | Path):
        self._owns_archive = not isinstance(archive, Archive)
        self.archive = Archive(archive) if self._owns_archive else archive

    def known_article_urls(self, site: str) -> set[str]:
        return self.archive.articles.known_urls(site)

    def walked_sections(self, site: str) -> set[str]:
        return self.archive.crawls.walked_sections(site)

    def listed_not_archived(self, site: str) -> list[tuple[str, str]]:
        return self.archive.articles.listed_not_archived(site)

    def article_urls_published_since(self, site: str, since: datetime) -> list[str]:
        return self.archive.articles.urls_published_since(site, since)

    def sites(self) -> list[str]:
        """Sites with archived articles or walked sections (whose state workers mirror)."""
        return sorted(set(self.archive.articles.sites()) | set(self.archive.crawls.sites_walked()))

    def close(self) -> None:
        if self._owns_archive:
            self.archive.close()
