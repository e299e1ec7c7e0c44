"""Canonical URLs: one spelling per page, so the same article is never stored twice by URL."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say how a visitor arrived, never which page it is.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|spm|from|source|share|share_token|isappinstalled|scene|clicktime|enterid|"
    r"wfr|timestamp|_t|fbclid|gclid)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """Drop the fragment and tracking parameters, sort the query, lowercase scheme and host."""
    parts = urlsplit(url.strip())
    # Split the raw query by hand: decoding it would mangle GBK percent-escapes.
    query = [
        pair
        for pair in parts.query.split("&")
        if pair and not TRACKING_PARAMS.match(unquote(pair.split("=", 1)[0]))
    ]
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", "&".join(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)
