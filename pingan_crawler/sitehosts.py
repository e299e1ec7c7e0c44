"""Which hosts a crawl of one site may fetch from: the site's, never another's.

A site is its profile's ``base_url`` host (for a site with no profile: its start URLs' host),
the host it is mirrored at (``--base-url``), and the spellings one site goes by: with and
without ``www.``, and its subdomains (``news.example.gov.cn`` of ``www.example.gov.cn``). A
port other than the scheme's default belongs to the host (two servers on one machine are two
sites), and a bare IP address or ``localhost`` has no subdomains. Everything else is offsite:
not fetched, redirects to it not followed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = ("http", "https")


def _host_port(url: str) -> tuple[str, int | None] | None:
    """(lowercase host without ``www.``, explicit non-default port or None); None if unusable."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if not host:
        return None
    if port == DEFAULT_PORTS.get(parts.scheme):
        port = None
    return host.removeprefix("www."), port


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost"
    return True


@dataclass(frozen=True)
class SiteHosts:
    """The hosts of one site; ``url in hosts`` says whether a URL is on the site."""

    hosts: frozenset[tuple[str, int | None]]

    @classmethod
    def of(cls, *urls: str) -> SiteHosts:
        """The hosts of the sites at ``urls`` (a base URL, a mirror, start URLs)."""
        return cls(frozenset(hp for url in urls if url and (hp := _host_port(url)) is not None))

    def __contains__(self, url: str) -> bool:
        if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
            return False
        found = _host_port(url)
        if found is None:
            return False
        host, port = found
        for known, known_port in self.hosts:
            if port != known_port:
                continue
            if host == known or (not _is_address(known) and host.endswith("." + known)):
                return True
        return False

    def describe(self) -> str:
        """The hosts as a user would write them, for messages."""
        return (
            ", ".join(sorted(f"{host}:{port}" if port else host for host, port in self.hosts))
            or "(none)"
        )


def site_hosts(profile) -> SiteHosts:
    """The hosts a crawl of ``profile`` stays on: its base URL's and its mirror's."""
    return SiteHosts.of(profile.base_url, profile.mirror_url)


def is_web_url(url: str) -> bool:
    """An http(s) URL (not ``javascript:``, ``file:``, ``data:``, ``mailto:`` …)."""
    return urlsplit(url).scheme.lower() in WEB_SCHEMES
