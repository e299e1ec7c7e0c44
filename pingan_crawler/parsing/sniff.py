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
    if is_notice(visible):
        return f"a {len(visible)}-character page saying {visible!r}"
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
    from pingan_crawler.parsing.html import clean_line, parse_html

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
    for junk in list(root.iter("script", "style", "a", "title")):
        if junk.getparent() is not None:
            junk.drop_tree()  # its tail text stays
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
