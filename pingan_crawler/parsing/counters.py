"""View counters that are not printed in the page: find the counter script, read its reply.

A page whose template shows ``浏览次数：`` with no number gets the number from a script after
the page loads. Each CMS family has its own counter (research/sites.md §2):

============  =====================================================  ===========  ==========
family        in the page                                            reply        adds a view
============  =====================================================  ===========  ==========
dedecms       ``<script src=…/plus/count.php?view=yes&aid=N>``        js_docwrite  yes
phpcms        ``<script src=…/api.php?op=count&id=N&modelid=M>``     jq_html      yes
empirecms     ``<script src=…/e/public/ViewClick/?classid=C&id=N>``  js_docwrite  only with
                                                                                  addclick=1
vsb           ``_showDynClicks("wbnews", owner, clickid)``           plain        yes
hanweb        ``<iframe src=…/module/visitcount/visit.jsp?…>``,      html /       yes
              ``<script src=…/visitcount/articlehits.jsp?…>``        js_docwrite
powereasy     ``<script src=…/GetHits.aspx?id=N>`` (SiteFactory),    js_docwrite  yes
              ``…/Article/GetHits.asp?ArticleID=N`` (ASP)
kesion        ``<script src=…/GetHits.asp?Action=Count&…&ID=N>``     js_docwrite  yes
jsp_plugin    ``exeRequest('…/PluginCtrl', …,                        plain        yes
              'page=LoadBrowseCntPage&article_id=N')``
jeecms        ``Cms.viewCount('', 'N')`` → ``content_view.jspx``      json         yes
labelled      any script/iframe, or a request filling an empty       guessed      unknown
              element, right after a 浏览次数/点击数 label
============  =====================================================  ===========  ==========

Finding a counter costs nothing; fetching one usually adds a view, so the crawler fetches
only when asked. Where a CMS has a read-only form (EmpireCMS without ``addclick=1``) that
form is the one reported. :func:`read_counter` reads every reply format above.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from pingan_crawler.parsing.decode import decode_html

KINDS = ("js_docwrite", "jq_html", "plain", "html", "json")


@dataclass(frozen=True)
class Counter:
    """A view counter found in a page: where to ask, and how to read the answer."""

    url: str  # absolute
    kind: str  # one of KINDS
    family: str
    adds_view: bool | None  # does fetching it count as a view? None: not known
    target: str = ""  # the element a jq_html reply fills (PHPCMS: "#hits")


# (family, pattern on a script/iframe src, reply kind, adds a view, target element)
_SRC_FAMILIES = (
    (
        "dedecms",
        re.compile(r"/count\.php\?(?=[^#]*\bview=yes)(?=[^#]*\baid=\d)", re.I),
        "js_docwrite",
        True,
        "",
    ),
    ("phpcms", re.compile(r"/api\.php\?(?=[^#]*\bop=count\b)", re.I), "jq_html", True, "#hits"),
    (
        "empirecms",
        re.compile(r"/e/public/ViewClick/?\?(?![^#]*\bdown=[1-9])", re.I),
        "js_docwrite",
        False,
        "",
    ),
    (
        "hanweb",
        re.compile(r"/visitcount/visit\.jsp\?(?=[^#]*(?:\btype=3\b|i_articleid=\d))", re.I),
        "html",
        True,
        "",
    ),
    ("hanweb", re.compile(r"/visitcount/articlehits\.jsp\?", re.I), "js_docwrite", True, ""),
    (
        "kesion",
        re.compile(r"/GetHits\.asp\?(?=[^#]*\bAction=Count)", re.I),
        "js_docwrite",
        True,
        "",
    ),
    (
        "powereasy",
        re.compile(r"/GetHits\.aspx?\?(?=[^#]*\b(?:id|ArticleID|SoftID|PhotoID)=\d)", re.I),
        "js_docwrite",
        True,
        "",
    ),
)
_VSB = re.compile(r"_showDynClicks\(\s*['\"](\w+)['\"]\s*,\s*(\d+)\s*,\s*(\d+)\s*\)")
_PLUGIN_CTRL = re.compile(r"page=LoadBrowseCntPage&(?:amp;)?article_id=(\d+)")
_PLUGIN_URL = re.compile(r"['\"]([^'\"\s]*PluginCtrl)['\"]")
_JEECMS = re.compile(r"Cms\.viewCount\(\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]?(\d+)")
# A counter is a program (a query string, or .php/.asp/.jsp …), not a static .js library.
_DYNAMIC = re.compile(r"\?|\.(?:php|aspx?|jspx?|do|action|cgi|fcgi|ashx)(?:$|[?#/])", re.I)
# A view label right before a script or an empty element: "浏览次数：", "[浏览", "点击数：".
_VIEW_LABEL_END = re.compile(
    r"(?:^|(?<![\u4e00-\u9fff]))(?:浏览次数|浏览量|点击数|点击量|点击次数|阅读数|阅读量|阅读次数|访问量|访问次数|浏览|点击|阅读|阅览|热度|人气)"
    r"\s*[:：]?\s*[(（\[【]?\s*$"
)
# A quoted path in an inline script that a request is sent to.
_REQUEST_URL = re.compile(
    r"""(?:url\s*:\s*|\$\.(?:get|post|getJSON|ajax)\(\s*|\.load\(\s*|fetch\(\s*|\.open\(\s*['"]\w+['"]\s*,\s*)"""
    r"""(['"])([^'"\s]+)\1(?:\s*\+\s*(?:(['"])([^'"\s]*)\3|(\d+)))?"""
)
_DATA_STRING = re.compile(r"""(?:data\s*:\s*|,\s*)(['"])([\w%.\-]+=[^'"]*)\1""")
_PAIR = r"""[\w"' ]+\s*:\s*['"]?[\w.\-]+['"]?"""
_DATA_OBJECT = re.compile(rf"""(?:data\s*:\s*|,\s*)\{{\s*({_PAIR}(?:\s*,\s*{_PAIR})*)\s*\}}""")
_EMPTY_NAMED = etree.XPath(
    "//body//*[self::span or self::em or self::font or self::b or self::i or self::strong"
    " or self::label or self::div][@id or @class][not(*)][normalize-space(.)='']"
)
_FILLED_TAGS = frozenset(("span", "em", "font", "b", "i", "strong", "label", "div"))
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def find_page_counter(root, url: str) -> Counter | None:
    """The article's view counter, found without a profile; None when the page has none.

    Call before scripts are stripped from the tree. Site-wide visitor counters (站点访问量,
    51yes, cnzz) are not article counters and are not reported."""
    found: list[Counter] = []
    labelled: list[Counter] = []
    for el in root.iter("script", "iframe"):
        src = (el.get("src") or "").strip().replace("&amp;", "&")
        if src:
            family = _src_family(src, url)
            if family is not None:
                if not _hidden(el):
                    found.append(family)
            elif (
                _DYNAMIC.search(src)
                and not _in_page_chrome(el)
                and not _hidden(el)
                and _VIEW_WORD.search(_near_text(el))
                and _VIEW_LABEL_END.search(_text_before(el))
            ):
                kind = "html" if el.tag == "iframe" else "js_docwrite"
                labelled.append(Counter(urljoin(url, src), kind, "labelled", None))
            continue
        code = el.text or ""
        inline = _inline_family(code, url)
        if inline is not None and not _hidden(el):
            found.append(inline)
    if found or labelled:
        return (found or labelled)[0]
    return _request_filling_label(root, url)


def _src_family(src: str, url: str) -> Counter | None:
    for family, pattern, kind, adds, target in _SRC_FAMILIES:
        if pattern.search(src):
            absolute = urljoin(url, src)
            if family == "empirecms":
                # Without addclick=1 ViewClick only reads the count: that is the form to use.
                absolute = re.sub(r"[?&]addclick=1\b", "", absolute).replace("/?&", "/?")
            return Counter(absolute, kind, family, adds, target)
    return None


def _inline_family(code: str, url: str) -> Counter | None:
    if match := _VSB.search(code):
        clicktype, owner, clickid = match.groups()
        path = (
            "/system/resource/code/news/click/dynclicks.jsp"
            f"?clickid={clickid}&owner={owner}&clicktype={clicktype}"
        )
        return Counter(urljoin(url, path), "plain", "vsb", True)
    if match := _PLUGIN_CTRL.search(code):
        base = _PLUGIN_URL.search(code)
        endpoint = urljoin(url, base.group(1) if base else "/PluginCtrl")
        query = f"page=LoadBrowseCntPage&article_id={match.group(1)}"
        return Counter(f"{endpoint}?{query}", "plain", "jsp_plugin", True)
    if match := _JEECMS.search(code):
        base, content_id = match.groups()
        path = f"{base.rstrip('/')}/content_view.jspx?contentId={content_id}"
        return Counter(urljoin(url, path), "json", "jeecms", True)
    return None


def _request_filling_label(root, url: str) -> Counter | None:
    """``浏览次数：<span id="readnum"></span>`` and an inline script that requests a URL and
    puts the answer in ``#readnum`` (or in the element's class, ``.readnum``)."""
    ids = [
        name
        for el in _EMPTY_NAMED(root)
        if el.tag in _FILLED_TAGS
        and _VIEW_WORD.search(_near_text(el))
        and _VIEW_LABEL_END.search(_text_before(el))
        for name in (el.get("id") or "", *(el.get("class") or "").split())
        if len(name) >= 2
    ]
    if not ids:
        return None
    for script in root.iter("script"):
        code = script.text or ""
        if script.get("src") or not any(ident in code for ident in ids):
            continue
        match = _REQUEST_URL.search(code)
        if not match:
            continue
        path = match.group(2) + (match.group(4) or match.group(5) or "")
        if re.search(r"\.(?:js|css|png|gif|jpg)(?:\?|$)", path):
            continue
        path = _with_data(path, code[match.end() : match.end() + 300])
        kind = (
            "json"
            if re.search(
                r"getJSON|dataType\s*:\s*['\"]json|JSON\.parse|\b\w+\.(?:data|count|hits|views?|num)\b",
                code,
            )
            else "plain"
        )
        return Counter(urljoin(url, path), kind, "labelled", None)
    return None


def _with_data(path: str, after: str) -> str:
    """Append the request's form data (``'page=…&id=1'`` or ``{contentId: 1}``) as a query."""
    query = ""
    if match := _DATA_STRING.search(after):
        query = match.group(2)
    elif match := _DATA_OBJECT.search(after):
        pairs = [pair.split(":", 1) for pair in match.group(1).split(",")]
        query = "&".join(f"{_unquote(key)}={_unquote(value)}" for key, value in pairs)
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


_VIEW_WORD = re.compile(r"浏览|点击|阅读|访问|阅览|热度|人气")


def _near_text(el) -> str:
    """About the last dozen characters before ``el`` (a cheap look before the careful one):
    its previous sibling's text and tail, else its parent's text and the parent's previous
    sibling."""
    prev = el.getprevious()
    parent = el.getparent()
    if prev is None:
        if parent is None:
            return ""
        before = parent.getprevious()
        text = _tail_of(before) if before is not None else ""
        return text + (parent.text or "")
    return _tail_of(prev) + ((parent.text or "") if parent is not None else "")


def _tail_of(el) -> str:
    text = el.text_content()[-12:] if isinstance(el.tag, str) and el.tag != "script" else ""
    return text + (el.tail or "")


# Footers, headers and sidebars print the site's visitor count (访问量：N), not the article's.
_CHROME = re.compile(
    r"(^|[\s_-])(footer|foot|bottom|copyright|banquan|nav|menu|header|top|side|sidebar|aside)"
    r"([\s_\d-]|$)",
    re.IGNORECASE,
)


def _in_page_chrome(el) -> bool:
    node = el.getparent()
    while node is not None and node.tag not in ("body", "html"):
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if node.tag in ("footer", "nav", "aside", "header") or _CHROME.search(names):
            return True
        node = node.getparent()
    return False


def _unquote(value: str) -> str:
    return value.strip().strip("'\"")


def _hidden(el) -> bool:
    node = el.getparent()
    while node is not None and node.tag not in ("body", "html"):
        if _HIDDEN.search(node.get("style") or "") or node.get("hidden") is not None:
            return True
        node = node.getparent()
    return False


def _text_before(el, limit: int = 24) -> str:
    """The visible text just before ``el`` in document order (scripts skipped), joined with
    spaces where elements meet; only the last ``limit`` characters are gathered."""
    parts: list[str] = []
    budget = [limit]
    node = el
    while node is not None and budget[0] > 0:
        prev = node.getprevious()
        while prev is not None and budget[0] > 0:
            _add(parts, budget, prev.tail)
            _text_end(prev, parts, budget)
            prev = prev.getprevious()
        parent = node.getparent()
        if parent is None or budget[0] <= 0:
            break
        _add(parts, budget, parent.text)
        node = parent
    return re.sub(r"\s+", " ", " ".join(reversed(parts))).rstrip()[-limit:]


def _add(parts: list[str], budget: list[int], text: str | None) -> None:
    if text:
        parts.append(text)
        budget[0] -= len(text.strip())


def _text_end(el, parts: list[str], budget: list[int]) -> None:
    """Append ``el``'s visible text to ``parts`` from its end backwards, within ``budget``."""
    if not isinstance(el.tag, str) or el.tag in ("script", "style"):
        return
    for child in reversed(el):
        if budget[0] <= 0:
            return
        _add(parts, budget, child.tail)
        _text_end(child, parts, budget)
    if budget[0] > 0:
        _add(parts, budget, el.text)


def find_counter_url(
    html_text: str, url: str, counter_regex: str, template: str = "", article_id: str | None = None
) -> str | None:
    """The counter's absolute URL: a ``<script src>``/``<iframe src>`` matching the profile's
    ``views.counter`` regex, else the profile's ``views.counter_url`` template."""
    if counter_regex:
        pattern = re.compile(counter_regex)
        for src in _SRC.findall(html_text):
            src = src.replace("&amp;", "&")
            if pattern.search(src):
                return urljoin(url, src)
    if template and ("{id}" not in template or article_id):
        return urljoin(url, template.format(id=article_id or ""))
    return None


_SRC = re.compile(r"<(?:script|iframe)\b[^>]*?\bsrc\s*=\s*['\"]?([^'\" >]+)", re.IGNORECASE)
_DOCWRITE = re.compile(r"document\.write(?:ln)?\(\s*(?:(['\"])(.*?)\1|([\d,]+))\s*\)", re.S)
_JQ_FILL = re.compile(
    r"(?:\$|jQuery)\(\s*['\"]([^'\"]+)['\"]\s*\)\s*\.(?:html|text|val)\(\s*(?:(['\"])(.*?)\2|([\d,]+))\s*\)"
    r"|getElementById\(\s*['\"]([^'\"]+)['\"]\s*\)\s*\.(?:innerHTML|innerText|textContent)\s*="
    r"\s*(?:(['\"])(.*?)\6|([\d,]+))",
    re.S,
)
_NUMBER = re.compile(r"^\s*(\d[\d,]*(?:\.\d+)?\s*万?)\s*$")
_COUNT_KEYS = (
    "hits",
    "views",
    "view_count",
    "viewcount",
    "viewCount",
    "views_count",
    "pv",
    "clicks",
    "click",
    "clickcount",
    "clickCount",
    "readcount",
    "readCount",
    "read_count",
    "browsecount",
    "browseCount",
    "visits",
    "visitcount",
    "wbshowtimes",
    "count",
    "num",
    "total",
    "data",
)
_LABELLED_NUMBER = re.compile(r"(?:浏览|点击|阅读|访问|阅览)[^\d]{0,6}?(\d[\d,]*)")


def read_counter(
    body: bytes, mode: str, content_type: str | None = None, target: str = "#hits"
) -> str | None:
    """The raw count a counter replied (``'1154'``), or None when the reply holds none.

    Every reply format the families above use is read, whatever ``mode`` says: ``mode``
    (js_docwrite, jq_html, plain, html, json or auto) only decides which is tried first.
    PHPCMS fills several elements in one reply (``#todaydowns``, ``#weekdowns``, ``#hits``):
    the one named ``target`` is the view count."""
    text = decode_html(body, content_type).text.strip().lstrip("\ufeff")
    readers = {
        "js_docwrite": _read_docwrite,
        "jq_html": lambda t: _read_jq(t, target),
        "json": _read_json,
        "plain": _read_plain,
        "html": _read_html,
    }
    order = [mode] if mode in readers else []
    order += [name for name in readers if name not in order]
    for name in order:
        value = readers[name](text)
        if value is not None:
            return value
    return None


def _strip_tags(value: str) -> str:
    return re.sub(r"<[^>]*>", "", value).strip()


def _read_docwrite(text: str) -> str | None:
    for match in _DOCWRITE.finditer(text):
        value = _strip_tags(match.group(2) if match.group(2) is not None else match.group(3))
        number = _NUMBER.match(value) or re.search(r"(\d[\d,]*)", value)
        if number:
            return number.group(1).strip()
    return None


def _read_jq(text: str, target: str) -> str | None:
    filled = []
    for match in _JQ_FILL.finditer(text):
        element = match.group(1) or f"#{match.group(5)}"
        raw = next(
            (
                g
                for g in (match.group(3), match.group(4), match.group(7), match.group(8))
                if g is not None
            ),
            "",
        )
        filled.append((element, _strip_tags(raw)))
    if not filled:
        return None
    return next((value for element, value in filled if element == target), filled[-1][1])


def _read_json(text: str) -> str | None:
    payload = re.sub(r"^[\w$.]+\(\s*(.*?)\s*\)\s*;?\s*$", r"\1", text, flags=re.S)  # JSONP
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    value = _count_in(data)
    return str(value) if value is not None else None


def _count_in(data, depth: int = 0):
    """The view count in a parsed JSON reply: a number, a list led by one (JEECMS
    ``[views, comments, downloads, ups, downs]``), or the first count-named key."""
    if depth > 4:
        return None
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, str) and re.fullmatch(r"\d[\d,]*", data.strip()):
        return data.strip()
    if isinstance(data, list) and data:
        return _count_in(data[0], depth + 1)
    if isinstance(data, dict):
        lowered = {str(k).lower(): v for k, v in data.items()}
        for key in _COUNT_KEYS:
            if key.lower() in lowered:
                value = _count_in(lowered[key.lower()], depth + 1)
                if value is not None:
                    return value
    return None


def _read_plain(text: str) -> str | None:
    match = _NUMBER.match(text)
    return match.group(1).strip() if match else None


def _read_html(text: str) -> str | None:
    """An iframe's page (Hanweb visit.jsp): its one number, or the number after a label."""
    visible = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", text)
    visible = _strip_tags(re.sub(r"<[^>]+>", " ", visible))
    numbers = re.findall(r"\d[\d,]*", visible)
    if len(numbers) == 1:
        return numbers[0]
    labelled = _LABELLED_NUMBER.search(visible)
    return labelled.group(1) if labelled else None
