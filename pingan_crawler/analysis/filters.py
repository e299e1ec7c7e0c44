"""The --site/--section/--since/--until filters shared by search, export, reparse and WARC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pingan_crawler.parsing.dates import SHANGHAI, parse_publish_time
from pingan_crawler.storage.selection import Selection

# Bounds may lie in the future (--until 2030-01-01); only publish times must not.
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=SHANGHAI)


class QueryError(ValueError):
    """Bad analyst input (a date, a field name, an empty query); the message says what to do."""


def date_bound(text: str | None, option: str, *, end: bool = False) -> str | None:
    """An ISO 8601 bound for comparing with stored times; ``end`` makes a date inclusive.

    ``--until 2021-06-30`` means up to the end of that day, so it becomes ``< 2021-07-01``.
    """
    if not text:
        return None
    parsed = parse_publish_time(text, now=_FAR_FUTURE)
    if parsed.value is None:
        raise QueryError(f"{option} {text!r} is not a date (use YYYY-MM-DD): {parsed.problem}")
    value = parsed.value
    if end and parsed.precision == "day":
        value += timedelta(days=1)
    return value.isoformat()


@dataclass(frozen=True)
class Filters(Selection):
    """Which articles (or snapshots) a command covers; every bound is optional.

    The archive reads it as a :class:`~pingan_crawler.storage.Selection`; this adds the parsing
    of what a user typed.
    """

    @classmethod
    def parse(
        cls,
        site: str | None = None,
        section: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Filters:
        """Filters from command-line text; bad dates raise :class:`QueryError`."""
        return cls(
            site or None,
            section or None,
            date_bound(since, "--since"),
            date_bound(until, "--until", end=True),
        )
