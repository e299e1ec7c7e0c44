"""Parse saved pages without a crawl: the Python door (:func:`extract`) and ``pingan parse``.

Both pick the profile whose URL pattern matches the page's URL (or the one named), else the
generic extractor, so a page parses the same way from a script, the command line and a crawl.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.html import first, parse_html
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.sniff import binary_type
from pingan_crawler.sites import ProfileError, SiteProfile, load_profile, profile_for_url

_URL_HINTS = (
    'link[rel="canonical"]',
    'meta[property="og:url"]',
    'meta[name="Url"]',  # TRS
    'meta[name="url"]',
)


def profile_for(url: str, site: str | None = None) -> SiteProfile | None:
    """The named profile, else the one whose article pattern matches ``url``, else None."""
    return load_profile(site) if site else profile_for_url(url)


def extract(
    html: bytes, url: str, site: str | None = None, content_type: str | None = None
) -> Article:
    """Parse one article page: ``pingan_crawler.extract(page_bytes, url)``."""
    if isinstance(html, str):
        html = html.encode("utf-8")
        content_type = content_type or "text/html; charset=utf-8"
    return extract_article(html, url, profile_for(url, site), content_type)


def url_in_page(body: bytes) -> str | None:
    """The URL a saved page names for itself (canonical link, og:url), if any."""
    root = parse_html(decode_html(body).text)
    if root is None:
        return None
    for selector in _URL_HINTS:
        node = first(root, selector)
        value = node.get("href") or node.get("content") if node is not None else None
        if value and value.startswith(("http://", "https://")) and _well_formed(value.strip()):
            return value.strip()
    return None


def _well_formed(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return bool(parts.hostname)


def page_problem(name: str, body: bytes) -> str | None:
    """Why the bytes of file ``name`` are no saved web page (one line, saying what to do)."""
    if not body.strip():
        return f"{name} is empty ({len(body)} bytes): not a saved page"
    kind = binary_type(body)
    if kind is None:
        return None
    if kind == "gzip-compressed HTML page":
        return f"{name} is a gzip-compressed HTML page: decompress it first (gunzip -c {name})"
    return f"{name} is {_article(kind)} {kind}, not a saved web page"


def _article(kind: str) -> str:
    return "an" if kind[0].lower() in "aeiou" else "a"


def read_page(name: str) -> tuple[bytes | None, str | None]:
    """The bytes of a saved page, or None and a one-line error naming the file."""
    path = Path(name)
    if path.is_dir():
        return None, f"{name} is a directory: give the page files in it ({name}/*.html)"
    try:
        body = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read {name}: {exc.strerror or exc}"
    problem = page_problem(name, body)
    return (None, problem) if problem else (body, None)


def parse_files(
    paths: list[str], url: str | None = None, site: str | None = None, content_type=None
) -> Iterator[dict]:
    """One JSON-ready dict per file (``file`` first), or ``{"file", "error", "readable"}`` for a
    file that cannot be read or is no web page. A file's URL is ``url``, else the one the page
    names, else its file URI."""
    for name in paths:
        body, problem = read_page(name)
        if body is None:
            yield {"file": name, "error": problem, "readable": Path(name).is_file()}
            continue
        try:
            page_url = url or url_in_page(body) or Path(name).resolve().as_uri()
            article = extract(body, page_url, site, content_type)
        except ProfileError:
            raise
        except Exception as exc:  # a parser bug must not end a batch of thousands of files
            error = f"{name}: the parser failed ({type(exc).__name__}: {exc}); please report it"
            yield {"file": name, "error": error, "readable": True}
            continue
        yield {"file": name, **article.to_json()}
