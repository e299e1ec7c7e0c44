"""What storing one item did: the vocabulary the pipelines count and ``pingan ingest`` reports."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The result of :func:`pingan_crawler.storage.items.store` for one item."""

    NEW = "new"  # an article not archived before
    UPDATED = "updated"  # a known URL that now says something else: a new version (an edit)
    UNCHANGED = "unchanged"  # a known URL saying the same: only last_seen moved
    NOT_MODIFIED = "not_modified"  # a known URL answered 304: seen unchanged, no bytes
    REMOVED = "removed"  # a live article's URL now says it is gone: marked removed
    STILL_REMOVED = "still_removed"  # a removed article still gone
    RESTORED = "restored"  # a removed article is back, saying what it said
    RESTORED_EDITED = "restored_edited"  # a removed article is back, saying something else
    GONE_UNKNOWN = "gone_unknown"  # a recheck result for a URL the archive does not hold
    DUPLICATE = "duplicate"  # a new URL whose body is archived: another URL of that article
    REPEAT = "repeat_in_run"  # the same canonical URL again in one run: not stored again
    REJECTED = "rejected"  # no title or no body: not an article, stored as an error row
    LISTED = "list_page"  # a list page's snapshot and the links it lists
    WALKED = "section_walked"  # a section's list was walked to its end
    VIEW_READ = "view_reading"  # another reading of an archived article's view count
    VIEW_UNKNOWN = "view_unknown"  # a view reading for a URL the archive does not hold
    ERROR = "error"  # a failed or refused page, stored as an error row

    @property
    def stored_article(self) -> bool:
        """The item's canonical URL is now an archived article URL."""
        return self in _ARTICLE

    @property
    def stat_keys(self) -> tuple[str, ...]:
        """The crawl stats (``archive/…``) this outcome adds one to."""
        return _STATS[self]

    @property
    def crawl_column(self) -> str | None:
        """The ``crawls`` counter this outcome adds one to, if any."""
        return _CRAWL_COLUMNS.get(self)


_ARTICLE = frozenset(
    (
        Outcome.NEW,
        Outcome.UPDATED,
        Outcome.UNCHANGED,
        Outcome.DUPLICATE,
        Outcome.RESTORED,
        Outcome.RESTORED_EDITED,
    )
)
_STATS = {
    Outcome.NEW: ("archive/new",),
    Outcome.UPDATED: ("archive/updated",),
    Outcome.UNCHANGED: ("archive/unchanged",),
    Outcome.NOT_MODIFIED: ("archive/not_modified",),
    Outcome.REMOVED: ("archive/removed",),
    Outcome.STILL_REMOVED: ("archive/still_removed",),
    Outcome.RESTORED: ("archive/restored",),
    Outcome.RESTORED_EDITED: ("archive/restored", "archive/updated"),
    Outcome.GONE_UNKNOWN: ("archive/gone_unknown",),
    Outcome.DUPLICATE: ("archive/duplicate",),
    Outcome.REPEAT: ("archive/repeat_in_run",),
    Outcome.REJECTED: ("archive/rejected", "archive/errors"),
    Outcome.LISTED: ("archive/list_pages",),
    Outcome.WALKED: ("archive/sections_walked",),
    Outcome.VIEW_READ: ("archive/view_readings",),
    Outcome.VIEW_UNKNOWN: ("archive/view_unknown",),
    Outcome.ERROR: ("archive/errors",),
}
_CRAWL_COLUMNS = {
    Outcome.NEW: "articles_new",
    Outcome.UPDATED: "articles_updated",
    Outcome.RESTORED_EDITED: "articles_updated",
    Outcome.DUPLICATE: "duplicates",
    Outcome.REJECTED: "errors",
    Outcome.ERROR: "errors",
}
