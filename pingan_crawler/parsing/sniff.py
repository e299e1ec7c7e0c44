"""Pages that are not what they claim: binary files served as HTML, 404s answered as 200.

Pure checks over bytes, used before parsing an article page so that a PNG, a PDF or a
"page not found, back to the homepage" stub becomes an error of the right kind instead of a
garbage article or a vague "no body".
"""

from __future__ import annotations

import re

from pingan_crawler import errorkinds
from pingan_crawler.parsing.decode import DecodedPage, decode_html
from pingan_crawler.sites import SiteProfile

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive (docx/xlsx?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document (doc/xls)"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x1f\x8b", "gzip data"),
)
_SOFT_404_TITLE = re.compile(
    r"404|页面不存在|页面未找到|找不到(该|此|您)?页面|not found|文章不存在|已被删除", re.I
)
_JS_REDIRECT = re.compile(
    r"(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]*)['\"]"
    r"|location\.(?:replace|assign)\(\s*['\"]([^'\"]*)['\"]",
    re.I,
)
_META_REFRESH = re.compile(
    r"<meta[^>]+http-equiv=['\"]?refresh['\"]?[^>]+url\s*=\s*['\"]?([^'\">\s]*)", re.I
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.I | re.S)
_SMALL_TEXT = 300  # visible characters: a soft 404 stub says one sentence


def binary_type(body: bytes) -> str | None:
    """What the bytes are when they are a known binary format (whatever the header claims)."""
    head = body[:16]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if b"\x00" in body[:1024]:
        return "binary data (NUL bytes)"
    return None


def soft_404_reason(
    body: bytes, content_type: str | None = None, decoded: DecodedPage | None = None
) -> str | None:
    """Why this 200 page is really a "not found" (a small stub that sends you home), or None.

    A page is a soft 404 when it is small and either sends the browser away by script or meta
    refresh (to the homepage, typically) or is titled as a 404. Real articles are long, so the
    size bound keeps a story that happens to mention 404 safe. ``decoded`` is the page already
    decoded by the caller (the spider decodes an article page once for every check).
    """
    text = (decoded or decode_html(body, content_type)).text
    visible = re.sub(r"\s+", "", _TAGS.sub("", text))
    if len(visible) > _SMALL_TEXT:
        return None
    match = _TITLE.search(text)
    title = match.group(1).strip() if match else ""
    redirect = _JS_REDIRECT.search(text) or _META_REFRESH.search(text)
    if redirect:
        target = next(g for g in redirect.groups() if g is not None) or "/"
        return f"a {len(visible)}-character stub that redirects to {target!r} (title {title!r})"
    if title and _SOFT_404_TITLE.search(title):
        return f"a {len(visible)}-character page titled {title!r}"
    return None


def page_refusal(
    body: bytes,
    url: str,
    content_type: str | None,
    profile: SiteProfile,
    redirected_from: str | None = None,
    decoded: DecodedPage | None = None,
) -> tuple[str, str] | None:
    """Why a page fetched as an article is no article page at all: (error kind, detail).

    Checked before parsing. A file that is not HTML, a "not found" stub answered as 200, and
    any redirect that ends off the profile's article URLs (the homepage, a list) are never
    articles. ``url`` is the public URL the bytes came from, after any redirect; ``decoded``
    the page already decoded, if the caller has it.
    """
    binary = binary_type(body)
    if binary:
        return errorkinds.NOT_HTML, f"{url}: a {binary} served as {content_type or 'no type'}"
    if redirected_from and not profile.is_article_url(url):
        return (
            errorkinds.SOFT_404,
            f"{redirected_from} redirected to {url}, which is not an article page (the "
            f"homepage or a list): treated as not found",
        )
    stub = soft_404_reason(body, content_type, decoded)
    if stub:
        return errorkinds.SOFT_404, f"{url}: {stub}"
    return None
