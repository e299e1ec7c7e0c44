"""The arguments of one crawl of one site, parsed once, at the door.

The CLI builds them from its options (profiles already loaded, dates already parsed);
``scrapy crawl pingan -a site=… -a base_url=…`` passes strings, which
:meth:`CrawlArgs.from_strings` turns into the same dataclass before the spider sees them. The
spiders never parse an argument themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.sites import SiteProfile, generic_profile, load_profile

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
    ) -> CrawlArgs:
        """From ``scrapy crawl pingan -a NAME=VALUE`` strings (and dict jobs)."""
        return cls(
            profile=site_profile(site, base_url, start_url),
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


Job = CrawlArgs | RefreshArgs


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
