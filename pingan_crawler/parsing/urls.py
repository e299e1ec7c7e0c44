"""Canonical URLs: one spelling per page, so the same article is never stored twice by URL.

Two things make one page look like many: parameters that only say how a visitor arrived
(tracking, cache busters) or who the visitor is (session ids), and the charset a raw
non-ASCII query is percent-encoded in. A browser encodes a link's query in the charset of
the page that holds the link (its path always in UTF-8); :func:`link_url` does the same, so
``show.asp?lm=平安动态`` on a GBK page is requested, and stored, as the GBK bytes the server
expects. Canonical URLs are plain ASCII, so a Scrapy request for one goes out unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say how a visitor arrived, never which page it is.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|spm|from|source|share|share_token|isappinstalled|scene|clicktime|enterid|"
    r"wfr|timestamp|_t|fbclid|gclid)$",
    re.IGNORECASE,
)
# Session ids by name (PHP, Java servlets, classic ASP, ColdFusion, osCommerce/Zen Cart).
# ``id``, ``aid``, ``newsid`` … are article ids and never match.
SESSION_PARAMS = re.compile(
    r"^(sid|sessid|sessionid|session_id|session|jsessionid|phpsessid|aspsessionid\w*|"
    r"cfid|cftoken|oscsid|zenid|wsid)$",
    re.IGNORECASE,
)
# Cache busters: ``_=1717400000000`` (jQuery), ``rnd=0.8147``, ``Math.random()`` values.
_CACHE_BUSTER_NAMES = re.compile(r"^(_|rnd|rand|random|nocache|radom)$", re.IGNORECASE)
_CACHE_BUSTER_VALUE = re.compile(r"^(\d{9,13}|0\.\d{5,})$")
_RANDOM_VALUE = re.compile(r"^0\.\d{8,}$")  # Math.random() under any name
# ``/a;jsessionid=0A1B…?x`` (servlets) and ASP.NET cookieless ``/(S(lit3py55t21z5v55vlm25s55))/``.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.IGNORECASE)
_ASPNET_SESSION = re.compile(r"/\((?:[A-Z]\([^()/]*\))+\)(?=/)")
# A token as session ids are made: long, letters and digits mixed, no words.
_TOKEN = re.compile(r"^(?=[^\W_]*\d)(?=[^\W_]*[A-Za-z])[^\W_]{16,}$", re.ASCII)
_ID_NAME = re.compile(r"id$|^(guid|uuid|bh|no|key|code)$", re.IGNORECASE)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "vbscript:", "about:")
# Longer links are ignored: no site links an article by 2 KB of URL, and profile regexes
# (checked to be at most quadratic, sites/regexcheck.py) stay fast on what is left.
MAX_URL_LENGTH = 2048
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
# A URL canonical as it stands: lowercase host, no port, no query or fragment, a path of
# unreserved characters only, without dot segments or session parameters.
_PLAIN_URL = re.compile(
    r"^https?://[a-z0-9.-]+(?<!\.)(/(?![.]{1,2}(/|$))[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+/?$"
)


def canonical_url(url: str, charset: str | None = None, drop: frozenset[str] = frozenset()) -> str:
    """Drop the fragment, tracking, cache-buster and session parameters (and the query names
    in ``drop``), sort the query, lowercase scheme and host. A raw non-ASCII query is
    percent-encoded in ``charset`` (the linking page's), else UTF-8."""
    return _canonical(url.strip(), _query_charset(charset), drop)


@lru_cache(maxsize=65536)
def _canonical(url: str, charset: str, drop: frozenset[str]) -> str:
    if _PLAIN_URL.match(url):
        return url  # nothing to drop, sort, quote or lowercase: the common link, 20× faster
    parts = urlsplit(url)
    path = _ASPNET_SESSION.sub("", _PATH_SESSION.sub("", parts.path)) or "/"
    raw_query = encode_query(parts.query, charset)
    # Split the raw query by hand: decoding it would mangle GBK percent-escapes.
    query = [pair for pair in raw_query.split("&") if pair and not _unwanted(pair, drop)]
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    elif parts.scheme == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, path, "&".join(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def _unwanted(pair: str, drop: frozenset[str]) -> bool:
    name, _, value = pair.partition("=")
    name = unquote(name)
    if TRACKING_PARAMS.match(name) or SESSION_PARAMS.match(name) or name.lower() in drop:
        return True
    value = unquote(value)
    if _CACHE_BUSTER_NAMES.match(name) and _CACHE_BUSTER_VALUE.match(value):
        return True
    return bool(_RANDOM_VALUE.match(value))


def _query_charset(charset: str | None) -> str:
    """The charset a browser encodes a link's query in: the page's, UTF-8 for UTF-16 pages."""
    if not charset or charset.lower().startswith(("utf-16", "utf-32", "utf16", "utf32")):
        return "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def encode_query(query: str, charset: str) -> str:
    """Percent-encode the non-ASCII runs of a query in ``charset``; escapes already there stay.

    A character the charset lacks becomes ``%26%23NNNN%3B`` (``&#NNNN;``), as browsers send it.
    """
    if query.isascii():
        return query

    def encoded(match: re.Match) -> str:
        out = []
        for char in match.group():
            try:
                out.append(quote(char.encode(charset), safe=""))
            except UnicodeEncodeError:
                out.append(quote(f"&#{ord(char)};", safe=""))
        return "".join(out)

    return _NON_ASCII.sub(encoded, query)


def absolute_link(href: str, base: str) -> str | None:
    """``href`` made absolute against ``base``; None for script, mail and in-page links and
    for anything but http(s)."""
    href = _URL_WHITESPACE.sub("", href.strip())  # browsers drop tabs and newlines anywhere
    if not href or len(href) > MAX_URL_LENGTH or href.lower().startswith(_SKIP_SCHEMES):
        return None
    origin = _origin(base)
    if origin and href[0] == "/" and href[1:2] != "/" and "/." not in href:
        return origin + href  # a root-relative link: what urljoin gives, without its cost
    try:
        absolute = urljoin(base, href)
        scheme = urlsplit(absolute).scheme
    except ValueError:  # a malformed IPv6 host and the like: not a link anyone can follow
        return None
    return absolute if scheme in ("http", "https") else None


@lru_cache(maxsize=256)
def _origin(base: str) -> str | None:
    """``http://host:port`` of ``base`` when it is a plain http(s) URL, else None."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def session_params(page_url: str, urls: list[str]) -> frozenset[str]:
    """Query names this page's links carry a visitor's session in, beyond the named ones.

    A session id is one random-looking token shared by the links of a page, and it changes
    on every page load: the page's own URL carries the same name with another token. A
    channel id that is the same on the page and its links, or an article id that differs
    from link to link, is neither. Names ending in ``id`` (article ids) are never dropped.
    """
    own = _query_pairs(page_url)
    if not own:
        return frozenset()
    counts: Counter[tuple[str, str]] = Counter()
    carrying: Counter[str] = Counter()
    for url in urls:
        for name, value in _query_pairs(url).items():
            if name in own:
                counts[(name, value)] += 1
                carrying[name] += 1
    found = set()
    for (name, value), count in counts.items():
        if _ID_NAME.search(name) or value == own[name]:
            continue
        shared = count >= 2 and count >= 0.8 * carrying[name]
        if shared and _TOKEN.match(value) and _TOKEN.match(own[name]):
            found.add(name)
    return frozenset(found)


def _query_pairs(url: str) -> dict[str, str]:
    query = url.partition("?")[2].partition("#")[0]
    pairs = {}
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value:
            pairs[unquote(name).lower()] = unquote(value)
    return pairs


def link_urls(
    hrefs: list[str], page_url: str, base: str | None = None, charset: str | None = None
) -> list[str | None]:
    """The canonical URL a browser on ``page_url`` would request for each href (None where it
    would not follow one): made absolute against ``base`` (the page's ``<base href>``), the
    query encoded in the page's ``charset``, session parameters dropped."""
    joined = [absolute_link(href, base or page_url) for href in hrefs]
    drop = session_params(page_url, [url for url in joined if url])
    query_charset = _query_charset(charset)
    return [_canonical(url, query_charset, drop) if url else None for url in joined]


def link_url(href: str, page_url: str, charset: str | None = None) -> str | None:
    """One link's canonical URL (see :func:`link_urls`)."""
    return link_urls([href], page_url, charset=charset)[0]


def is_loopback(url: str) -> bool:
    """Whether ``url`` is on this machine (our fixture servers): politeness delays are for
    real hosts only."""
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
