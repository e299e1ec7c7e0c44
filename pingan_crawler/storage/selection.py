"""Which articles (or snapshots) a read covers: the bounds analysts give, as SQL conditions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    """Site, section and a time range; every bound is optional. ``since``/``until`` are ISO 8601
    strings compared with the stored times (``until`` exclusive); analysis/filters.py parses
    them from what a user typed."""

    site: str | None = None
    section: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self, alias: str = "a", time_column: str = "published_at") -> tuple[str, list]:
        """SQL conditions (joined by AND, or ``1``) and their parameters."""
        clauses, params = [], []
        if self.site:
            clauses.append(f"{alias}.site = ?")
            params.append(self.site)
        if self.section:
            clauses.append(f"{alias}.section = ?")
            params.append(self.section)
        if self.since:
            clauses.append(f"{alias}.{time_column} >= ?")
            params.append(self.since)
        if self.until:
            clauses.append(f"{alias}.{time_column} < ?")
            params.append(self.until)
        return (" AND ".join(clauses) or "1"), params
