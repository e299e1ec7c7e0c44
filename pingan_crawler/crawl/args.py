"""The arguments of one crawl of one site, parsed once, at the door.

The CLI builds them from its options (profiles already loaded, dates already parsed);
``scrapy crawl pingan -a site=… -a base_url=…`` passes strings, which
:meth:`CrawlArgs.from_strings` turns into the same dataclass before the spider sees them. The
spiders never parse an argument themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.sites import ProfileError, SiteProfile, generic_profile, load_profile

DEFAULT_SITE = "pasxw"  # `scrapy crawl pingan` with no site crawls the bundled sample's site


def parse_since(text: str, name: str = "--since") -> datetime:
    """``--since`` / ``-a since=``: a date (Asia/Shanghai); ValueError naming it otherwise."""
    parsed = parse_publish_time(text)
    if parsed.value is None:
        raise ValueError(f"{name} {text!r} is not a date (use YYYY-MM-DD): {parsed.problem}")
    return parsed.value


def parse_flag(value: str) -> bool:
    """``-a full=1``: anything but empty, 0, false or no is true."""
    return str(value).strip().lower() not in ("", "0", "false", "no")


def parse_count(name: str, value: str, minimum: int = 1) -> int | None:
    """``-a max_pages=N``: a whole number of at least ``minimum``, or None when empty."""
    if not str(value).strip():
        return None
    try:
        count = int(value)
    except ValueError:
        count = minimum - 1
    if count < minimum:
        raise ValueError(f"{name}={value!r} is not a whole number ({minimum} or more)")
    return count


def site_profile(site: str = "", base_url: str = "", start_url: str = "") -> SiteProfile:
    """The profile a crawl's strings name: a profile (by name or path), or a generic one for
    start URLs (separated by spaces); fetched from ``base_url`` when given."""
    if start_url:
        profile = generic_profile(start_url.split(), site)
    else:
        profile = load_profile(site or DEFAULT_SITE)
    return profile.with_mirror(base_url) if base_url else profile


@dataclass(frozen=True)
class CrawlArgs:
    """What :class:`~pingan_crawler.spiders.pingan.PinganSpider` is asked to do for one site.

    ``profile`` carries the mirror (``--base-url``) when the site is fetched from elsewhere.
    ``full`` walks every list page and re-fetches archived articles; ``max_pages`` caps the
    list pages per section; ``since`` skips articles listed before it and stops paging there.
    """

    profile: SiteProfile
    full: bool = False
    max_pages: int | None = None
    since: datetime | None = None

    @property
    def site(self) -> str:
        return self.profile.name

    @classmethod
    def from_strings(
        cls,
        site: str = "",
        base_url: str = "",
        full: str = "",
        max_pages: str = "",
        since: str = "",
        start_url: str = "",
        fetch_counters: str = "",
    ) -> CrawlArgs:
        """From ``scrapy crawl pingan -a NAME=VALUE`` strings (and dict jobs);
        ``-a fetch_counters=1`` fetches view counter scripts (off unless asked)."""
        profile = site_profile(site, base_url, start_url)
        return cls(
            profile=profile.with_counters() if parse_flag(fetch_counters) else profile,
            full=parse_flag(full),
            max_pages=parse_count("max_pages", max_pages),
            since=parse_since(since, "since=") if str(since).strip() else None,
        )


@dataclass(frozen=True)
class RefreshArgs:
    """What :class:`~pingan_crawler.spiders.views.RefreshViewsSpider` is asked to do: read the
    view counts of the site's articles published in the last ``days`` days again."""

    profile: SiteProfile
    days: int = 7

    @property
    def site(self) -> str:
        return self.profile.name

    @classmethod
    def from_strings(cls, site: str = "", base_url: str = "", days: str = "7") -> RefreshArgs:
        """From ``scrapy crawl refresh-views -a site=… -a days=N`` strings."""
        count = parse_count("days", days)
        return cls(site_profile(site, base_url), 7 if count is None else count)


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I)
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}


def parse_age(text: str, name: str = "--older-than") -> timedelta:
    """``7d``, ``12h``, ``2w``, ``30m`` (a bare number is days); ValueError naming it."""
    match = _AGE.match(str(text))
    if not match:
        raise ValueError(f"{name} {text!r} is not an age (use e.g. 7d, 12h, 2w)")
    return timedelta(seconds=float(match[1]) * _AGE_UNITS[match[2].lower()])


def _days(age: timedelta) -> float:
    return age.total_seconds() / 86400


def parse_schedule(text: str) -> tuple[tuple[float | None, float], ...]:
    """``PINGAN_RECHECK_SCHEDULE``: ``AGE:INTERVAL`` pairs, youngest first, the last age ``*``
    (``7d:1d,90d:7d,*:30d``: daily in the first week, weekly to 90 days, monthly after), as
    (age in days or None, interval in days)."""
    pairs: list[tuple[float | None, float]] = []
    for part in str(text).split(","):
        age, sep, interval = part.strip().partition(":")
        if not sep:
            raise ValueError(f"PINGAN_RECHECK_SCHEDULE: {part.strip()!r} is not AGE:INTERVAL")
        days = None if age.strip() == "*" else _days(parse_age(age, "PINGAN_RECHECK_SCHEDULE age"))
        pairs.append((days, _days(parse_age(interval, "PINGAN_RECHECK_SCHEDULE interval"))))
    if not pairs or pairs[-1][0] is not None:
        raise ValueError("PINGAN_RECHECK_SCHEDULE: end with *:INTERVAL (the oldest articles)")
    return tuple(pairs)


def recheck_profile(site: str, base_url: str = "", sample_url: str = "") -> SiteProfile:
    """The profile to recheck ``site`` with: its own, or for a site crawled without one, a
    generic one on the host of ``sample_url`` (one of its archived article URLs), or on
    ``site`` read as a host (a site crawled with --start-url is named by its host). Raises
    ProfileError for neither."""
    try:
        profile = load_profile(site or DEFAULT_SITE)
    except ProfileError:
        if "://" in sample_url:
            scheme, rest = sample_url.split("://", 1)
            origin = f"{scheme}://{rest.split('/', 1)[0]}"
        elif site.strip() and not any(c in site for c in "/ "):
            origin = f"http://{site.strip()}"
        else:
            raise
        profile = generic_profile([origin + "/"], site.strip())
    return profile.with_mirror(base_url) if base_url else profile


@dataclass(frozen=True)
class RecheckArgs:
    """What :class:`~pingan_crawler.spiders.recheck.RecheckSpider` is asked to do: look at the
    site's archived articles again and say which were edited, removed or restored.

    ``every`` (``--all``) rechecks every article now; otherwise what the schedule says is due,
    or with ``older_than`` what was last checked longer ago. ``since`` keeps articles
    published on or after it; ``max_articles`` caps the articles rechecked, most overdue first.
    """

    profile: SiteProfile
    every: bool = False
    since: datetime | None = None
    older_than: timedelta | None = None
    max_articles: int | None = None

    @property
    def site(self) -> str:
        return self.profile.name

    @classmethod
    def from_strings(
        cls,
        site: str = "",
        base_url: str = "",
        all: str = "",
        since: str = "",
        older_than: str = "",
        max: str = "",
    ) -> RecheckArgs:
        """From ``scrapy crawl recheck -a site=… [-a all=1] [-a older_than=7d] [-a max=N]``."""
        return cls(
            profile=recheck_profile(site, base_url),
            every=parse_flag(all),
            since=parse_since(since, "since=") if str(since).strip() else None,
            older_than=parse_age(older_than, "older_than=") if str(older_than).strip() else None,
            max_articles=parse_count("max", max),
        )


Job = CrawlArgs | RefreshArgs | RecheckArgs


def job_from_strings(strings: Mapping[str, str]) -> Job:
    """A job given as a dict of spider-argument strings, as ``scrapy crawl -a`` takes them.

    ``days`` (or the older ``refresh_views_days``) makes it a view refresh.
    """
    values = {key: str(value) for key, value in strings.items()}
    days = values.pop("refresh_views_days", "") or values.pop("days", "")
    if days:
        refresh = {k: v for k, v in values.items() if k in ("site", "base_url")}
        return RefreshArgs.from_strings(**refresh, days=days)
    return CrawlArgs.from_strings(**values)
