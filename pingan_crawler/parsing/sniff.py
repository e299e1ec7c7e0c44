"""Pages that are not what they claim: binary files served as HTML, 404s answered as 200.

Pure checks over bytes, used before parsing an article page so that a PNG, a PDF or a
"page not found, back to the homepage" stub becomes an error of the right kind instead of a
garbage article or a vague "no body". ``pingan recheck`` uses the same checks to tell an
article taken down behind a 200 (信息不存在, 已删除, a script sending you home) from one still
there.

Two kinds of soft 404: a small stub (a sentence, a redirect script), and a removal notice
inside the site's full chrome (nav, sidebar, footer around "对不起，您访问的信息不存在"). The
second is told from an article that merely mentions deletion by where the notice stands: the
page's title is the notice, or a short block of its own is, while the page holds almost no text
outside its links (an article has its body there).
"""

from __future__ import annotations

import re
import zlib

from w3lib.encoding import read_bom

from pingan_crawler import errorkinds
from pingan_crawler.parsing.decode import DecodedPage, decode_html, utf16_without_bom
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
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x7fELF", "ELF executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"\xca\xfe\xba\xbe", "Java class or Mach-O file"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"\x1aE\xdf\xa3", "WebM/Matroska video"),
)
_GZIP = b"\x1f\x8b"
# Tags any HTML page has near its top; four or more bytes each, so random bytes never hold one.
_MARKUP = re.compile(
    rb"<(!doctype|html|head|body|meta|title|div|table|script|style|link|span|p>|br>|br/|a href)",
    re.I,
)
# C0 control bytes other than tab, newlines, form feed and ESC (ISO-2022 uses it): text
# never has many of them, binary data has about one in ten.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_SNIFF_BYTES = 8192
_SOFT_404_TITLE = re.compile(
    r"404|页面不存在|页面未找到|找不到(该|此|您)?页面|not found|文章不存在|已被删除", re.I
)
# Every pattern below is linear on any input: bounded runs, and tags read one at a time. A
# hostile page of 20,000 "<script>" or "<title>" with no closing tag made the former lazy
# ``<script.*?</script>`` patterns rescan to the end at each one (a minute per page).
_JS_REDIRECT = re.compile(
    r"(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]{0,2000})['\"]"
    r"|location\.(?:replace|assign)\(\s*['\"]([^'\"]{0,2000})['\"]",
    re.I,
)
_META_TAG = re.compile(r"<meta\b[^<>]{0,2000}>", re.I)
_REFRESH = re.compile(r"http-equiv=['\"]?refresh\b.*?url\s*=\s*['\"]?([^'\">\s]*)", re.I | re.S)
_TITLE_OPEN = re.compile(r"<title\b[^<>]{0,500}>", re.I)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.I)
_RAW_TEXT_OPEN = re.compile(r"<(script|style)\b", re.I)
_RAW_TEXT_CLOSE = {
    "script": re.compile(r"</script\s*>", re.I),
    "style": re.compile(r"</style\s*>", re.I),
}
_TAG = re.compile(r"<[^<>]*>")
_SPACES = re.compile(r"\s+")
_SMALL_TEXT = 300  # visible characters: a soft 404 stub says one sentence
# What a site says when an article is gone (页面不存在, 信息已删除, 该文章已被撤销 …).
_THING = r"(?:页面|网页|信息|文章|内容|新闻|稿件|资讯|记录|数据)"
_NOTICE = re.compile(
    rf"(?:{_THING}|您(?:所|要)?(?:访问|查看|浏览|请求)的{_THING}?)"
    r"(?:已经|已)?(?:不存在|被?删除|被?撤销|被?撤回|被?撤稿|下线|过期|失效|关闭)"
    rf"|(?:不存在|找不到)(?:该|此|这个|您要的)?{_THING}"
    r"|不存在或已(?:被)?(?:删除|撤销|下线|过期)"
    r"|找不到(?:该|此|您)?(?:访问的)?页面|页面未找到|无法找到该页|404\s*not\s*found"
    r"|(?:该|此)(?:条|篇)?(?:信息|文章|内容|新闻|稿件)?已(?:被)?(?:删除|撤销|撤回|下线)",
    re.I,
)
# Words around a notice that say nothing more ("对不起，", "请返回首页"), and how many other
# characters a notice may hold.
_FILLER = re.compile(
    r"对不起|很?抱歉|sorry|温馨提示|提示信息|提示|错误|出错了|您好|或者?|已经?|被|删除|撤销|"
    r"不存在|可能|请|您|的|了|返回首页|返回|首页|点击|这里|[\W_\d]",
    re.I,
)
_NOTICE_SLACK = 3
_NOTICE_BLOCK_CHARS = 40  # a notice is one short sentence of its own
_NOTICE_PAGE_TEXT = 800  # text outside links on a notice page: the notice and the footer
_TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜—–]+|::)\s*")
_NOTICE_TAGS = ("h1", "h2", "h3", "h4", "p", "div", "td", "span", "li", "strong", "b", "font")
_NOTICE_TAGS += ("center", "body")


def binary_type(body: bytes) -> str | None:
    """What the bytes are when they are not a text page (whatever the header claims), or None.

    Known formats by their magic number; then a BOM or the NUL pattern of UTF-16 makes text;
    then bytes with HTML tags near the top are a page even with stray NULs in it (they are
    dropped when decoding); anything else with NULs or many control bytes is binary.
    """
    head = body[:16]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(_GZIP):
        return _gzip_type(body)
    if body[:4] == b"RIFF" and body[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}[body[8:12]]
    if body[4:8] == b"ftyp":
        return "MP4/MOV video"
    wide, bom = read_bom(body)
    if wide or utf16_without_bom(body):
        return None if _text_in(body[len(bom or b"") :], wide) else "binary file (not text)"
    sample = body[:_SNIFF_BYTES]
    controls = len(_CONTROL_BYTES.findall(sample.replace(b"\x00", b"")))
    if _MARKUP.search(sample.replace(b"\x00", b"")) and controls <= 0.05 * len(sample):
        return None
    if b"\x00" in sample or controls > 0.02 * len(sample):
        return "binary file (not text)"
    return None


def _text_in(body: bytes, codec: str | None) -> bool:
    """Whether bytes that start like Unicode text (a BOM, UTF-16's NULs) decode as text."""
    codec = codec or utf16_without_bom(body) or "utf-8"
    text = body[:_SNIFF_BYTES].decode(codec, errors="replace")
    damage = text.count("\ufffd") + len(re.findall("[\x00-\x08\x0e-\x1f]", text))
    return damage <= 0.01 * len(text) + 2


def _gzip_type(body: bytes) -> str:
    """What a gzip stream holds, read from its first few kilobytes (never inflated whole)."""
    try:
        head = zlib.decompressobj(wbits=31).decompress(body[:65536], 4096)
    except zlib.error:
        return "gzip data (damaged)"
    if head.startswith(b"WARC/"):
        return "gzip-compressed WARC file"
    if _MARKUP.search(head):
        return "gzip-compressed HTML page"
    return "gzip data"


def soft_404_reason(
    body: bytes, content_type: str | None = None, decoded: DecodedPage | None = None
) -> str | None:
    """Why this 200 page is really a "not found" (a small stub that sends you home), or None.

    A page is a soft 404 when it is small and either sends the browser away by script or meta
    refresh (to the homepage, typically) or is titled as a 404. Real articles are long, so the
    size bound keeps a story that happens to mention 404 safe. ``decoded`` saves decoding the
    body again.
    """
    text = (decoded or decode_html(body, content_type)).text
    visible = _visible_text(text)
    if len(visible) > _SMALL_TEXT:
        return None
    title = _title(text)
    target = _redirect_target(text)
    if target is not None:
        return f"a {len(visible)}-character stub that redirects to {target!r} (title {title!r})"
    if title and _SOFT_404_TITLE.search(title):
        return f"a {len(visible)}-character page titled {title!r}"
    if is_notice(visible):
        return f"a {len(visible)}-character page saying {visible!r}"
    return None


def _visible_text(text: str) -> str:
    """The page's text without scripts, styles, tags or white space, in one forward pass."""
    pieces = []
    pos = 0
    while (opened := _RAW_TEXT_OPEN.search(text, pos)) is not None:
        pieces.append(text[pos : opened.start()])
        closed = _RAW_TEXT_CLOSE[opened.group(1).lower()].search(text, opened.end())
        if closed is None:
            pos = len(text)  # an unclosed script runs to the end, as in a browser
            break
        pos = closed.end()
    pieces.append(text[pos:])
    return _SPACES.sub("", _TAG.sub("", "".join(pieces)))


def _title(text: str) -> str:
    opened = _TITLE_OPEN.search(text)
    if opened is None:
        return ""
    closed = _TITLE_CLOSE.search(text, opened.end())
    return text[opened.end() : closed.start()].strip() if closed else ""


def _redirect_target(text: str) -> str | None:
    """Where a script or a meta refresh sends the browser ("/" when it names no URL)."""
    script = _JS_REDIRECT.search(text)
    if script:
        return next(g for g in script.groups() if g is not None) or "/"
    for tag in _META_TAG.finditer(text):
        refresh = _REFRESH.search(tag.group())
        if refresh:
            return refresh.group(1) or "/"
    return None


def is_notice(text: str) -> bool:
    """Whether ``text`` is a removal notice and nothing else ("对不起，您访问的信息不存在！",
    "该文章已被删除"), not a sentence that mentions one ("网络谣言信息已删除")."""
    folded = re.sub(r"\s+", "", text)
    if not _NOTICE.search(folded):
        return False
    rest = _FILLER.sub("", _NOTICE.sub("", folded))
    return len(rest) <= _NOTICE_SLACK


def removal_notice(text: str) -> str | None:
    """Where a full page (chrome and all) says its article is gone, or None.

    ``text`` is the decoded page. The notice must be the page's title (or one segment of a
    "notice - site name" title), or a short block of its own, not a link, on a page with
    almost no text outside its links: an article that reports a deletion has its body there.
    """
    if not _NOTICE.search(text):
        return None  # the common case: no notice wording anywhere, no parse needed
    from pingan_crawler.parsing.html import clean_line, drop_all_keeping_tails, parse_html

    root = parse_html(text)
    if root is None:
        return None
    title = clean_line(root.findtext(".//title") or "")
    if any(is_notice(segment) for segment in _TITLE_SPLIT.split(title) if segment):
        return f"titled {title!r}"
    notices = []
    for element in root.iter(*_NOTICE_TAGS):
        own = clean_line(element.text_content())
        if len(own) > _NOTICE_BLOCK_CHARS or not is_notice(own):
            continue
        links = "".join(a.text_content() for a in element.iter("a"))
        inside_link = any(parent.tag == "a" for parent in element.iterancestors())
        if inside_link or re.sub(r"\s+", "", links) == re.sub(r"\s+", "", own):
            continue  # a headline in a list, not the page speaking
        notices.append(own)
    notice = min(notices, key=len) if notices else None
    if notice is None:
        return None
    drop_all_keeping_tails(root.iter("script", "style", "a", "title"))
    outside_links = len(re.sub(r"\s+", "", root.text_content()))
    if outside_links > _NOTICE_PAGE_TEXT:
        return None
    return f"says {notice!r} ({outside_links} characters outside its links)"


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
    decoded = decoded or decode_html(body, content_type, override=profile.charset)
    stub = soft_404_reason(body, content_type, decoded)
    if stub:
        return errorkinds.SOFT_404, f"{url}: {stub}"
    notice = removal_notice(decoded.text)
    if notice:
        return errorkinds.SOFT_404, f"{url}: a removal notice, {notice}"
    return None
