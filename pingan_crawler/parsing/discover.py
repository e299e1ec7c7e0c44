"""Read list pages and homepages of sites that have no profile.

A profile says where a site's article links and next page are; for an unknown site we guess
from what 政法/长安 CMS templates share:

* article links sit in one repeated block (``<ul><li><a>title</a><span>date</span></li>…``,
  table rows, ``<dl>``), whose links carry long headline text and often a date, while nav
  bars, sidebars and footers carry short labels;
* the next page is a ``下一页``/``>`` link, a TRS ``createPageHTML(count, idx, name, ext)``
  script, the page number after the current one in a numbered pager, or a sibling URL with
  the page number one further (``?page=N``, ``index_N``, ``list_2_N``, ``list-5-N``);
* Hanweb lists embed their first records as CDATA inside ``<datastore>``;
* a homepage's sections are its nav bar: a block of short same-site links near the top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.html import clean_line, parse_html
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")
_NEXT_TEXT = re.compile(
    r"^[\s\[【(（<]*(下一页|下页|后一页|后页|下一頁|next( page)?|›|>|»|＞)[\s\]】)）>]*$",
    re.IGNORECASE,
)
_PREV_TEXT = re.compile(r"^[\s\[【]*(上一页|上页|前一页|前页|上一頁|prev(ious)?|‹|<|«|＜)", re.I)
_PAGER_WORDS = re.compile(r"^(首页|尾页|末页|上一页|下一页|第?\d+页?|GO|跳转|\.\.\.|…)$", re.I)
# Class/id words of page regions that are not the main list.
_OFF_MAIN = re.compile(
    r"nav|menu|header|head|top|foot|bottom|copyright|side|hot|rank|link|friend|banner|"
    r"tuijian|recommend|share|breadcrumb|weizhi|location|crumb",
    re.IGNORECASE,
)
_NAV_HINT = re.compile(r"nav|menu|daohang|dh\b|channel|lanmu", re.IGNORECASE)
_ROW_TAGS = ("li", "tr", "dd", "dt", "p")
_HOME_TEXT = re.compile(r"^(网站)?首页$|^home$|^主页$|^返回首页$", re.IGNORECASE)
_FOOTER_TEXT = re.compile(
    r"关于我们|联系我们|网站地图|版权|隐私|免责|网站声明|设为首页|加入收藏|English|无障碍|登录|注册"
)
# Article URLs: a date directory, a long numeric id, or a TRS t20220405_ name.
_ARTICLE_URL = re.compile(
    r"/t\d{8}_\d+|/art_\d+_\d+|/\d{4}[-/]?\d{2}/|/content_\d+|\d{6,}\.s?html?$|[?&](id|aid|bh|"
    r"articleid|newsid)=\d{4,}",
    re.IGNORECASE,
)
_TRS_PAGER = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_JS_INT = re.compile(r"(?:var\s+)?(\w+)\s*=\s*(\d+)\s*;")
_CDATA_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)
_PAGE_NUMBER = re.compile(r"[_\-=/](\d{1,4})(?=\.\w+$|/?$|&|/)")


@dataclass(frozen=True)
class ListGuess:
    """What a list page of an unknown site seems to hold."""

    article_links: list[Link] = field(default_factory=list)
    next_page: str | None = None


def discover_list_page(body: bytes, url: str, content_type: str | None = None) -> ListGuess:
    """The article links (not nav/sidebar/footer) and the next page of a list page."""
    root = _parse(body, content_type)
    if root is None:
        return ListGuess()
    base = _base_url(root, url)
    records = _datastore_links(root, base)
    links = records or _main_list_links(root, base)
    return ListGuess(article_links=links, next_page=_next_page(root, base, url))


def discover_sections(body: bytes, url: str, content_type: str | None = None) -> list[Link]:
    """The section list pages a homepage links to from its nav bar."""
    root = _parse(body, content_type)
    if root is None:
        return []
    base = _base_url(root, url)
    home = canonical_url(url)
    groups: dict = {}
    order: dict = {}
    for index, anchor in enumerate(root.iter("a")):
        link = _link(anchor, base)
        if link is None or link.url == home or not _same_site(link.url, url):
            continue
        if not 2 <= len(link.text) <= 10 or _HOME_TEXT.match(link.text):
            continue
        if _FOOTER_TEXT.search(link.text) or _ARTICLE_URL.search(link.url):
            continue
        container = _row(anchor).getparent()
        if container is None:
            continue
        groups.setdefault(container, []).append(link)
        order.setdefault(container, index)
    if not groups:
        return []
    total = max(order.values()) + 1

    def score(container) -> float:
        count = len({link.url for link in groups[container]})
        hint = 2.0 if _NAV_HINT.search(_region_names(container)) else 1.0
        early = 1.5 - order[container] / total  # nav bars come before the content
        return count * hint * early

    best = max(groups, key=score)
    if len({link.url for link in groups[best]}) < 2:
        return []
    return _unique(groups[best])


# --- list pages -------------------------------------------------------------------------


def _main_list_links(root, base: str) -> list[Link]:
    """The links of the best-scoring repeated block (all blocks made by its template loop)."""
    groups: dict[str, list[Link]] = {}
    penalised: dict[str, bool] = {}
    for anchor in root.iter("a"):
        link = _link(anchor, base)
        if link is None or len(link.text) < 5 or _PAGER_WORDS.match(link.text):
            continue
        if _NEXT_TEXT.match(link.text) or _PREV_TEXT.match(link.text):
            continue
        row = _row(anchor)
        container = (row if row is not anchor else anchor).getparent()
        if container is None:
            continue
        date = _row_date(row if row is not anchor else container)
        key = _signature(container)
        groups.setdefault(key, []).append(Link(link.url, link.text, date))
        penalised.setdefault(key, bool(_OFF_MAIN.search(_region_names(container))))
    if not groups:
        return []

    def score(key: str) -> float:
        links = _unique(groups[key])
        value = sum(min(len(link.text), 40) + (15 if link.date else 0) for link in links)
        value += 10 * sum(1 for link in links if _ARTICLE_URL.search(link.url))
        return value * (0.3 if penalised[key] else 1.0)

    best = max(groups, key=score)
    links = _unique(groups[best])
    if len(links) < 2 and score(best) < 40:
        return []
    return links


def _datastore_links(root, base: str) -> list[Link]:
    """Hanweb's ``<datastore><record><![CDATA[<li><a …>]]>`` first records, if any."""
    links: list[Link] = []
    for script in root.iter("script"):
        text = script.text or ""
        if "<record>" not in text:
            continue
        for fragment in _CDATA_RECORD.findall(text):
            row = parse_html(f"<html><body>{fragment}</body></html>")
            if row is None:
                continue
            date = find_date_text(row.text_content())
            for anchor in row.iter("a"):
                link = _link(anchor, base)
                if link is not None:
                    links.append(Link(link.url, link.text, date))
    return _unique(links)


def _next_page(root, base: str, url: str) -> str | None:
    here = canonical_url(url)
    anchors = [(a, _link(a, base)) for a in root.iter("a")]
    anchors = [(a, link) for a, link in anchors if link is not None and link.url != here]
    for _anchor, link in anchors:
        if _NEXT_TEXT.match(link.text):
            return link.url
    for candidate in (
        _trs_next(root, base),
        _numbered_next(root, anchors),
        _url_next(url, anchors),
    ):
        if candidate and candidate != here:
            return candidate
    return None


def _trs_next(root, base: str) -> str | None:
    """TRS ``createPageHTML(count, index, "index", "shtml")``: next is ``index_{index+1}``."""
    for script in root.iter("script"):
        text = script.text or ""
        match = _TRS_PAGER.search(text)
        if not match:
            continue
        variables = {name: int(value) for name, value in _JS_INT.findall(text)}
        numbers: list[int] = []
        strings: list[str] = []
        for arg in (a.strip() for a in match.group(1).split(",")):
            if arg[:1] in "'\"":
                strings.append(arg.strip("'\""))
            elif arg.isdigit():
                numbers.append(int(arg))
            elif arg in variables:
                numbers.append(variables[arg])
        if len(numbers) < 2 or len(strings) < 2:
            continue
        count, index = numbers[0], numbers[1]
        name, ext = strings[-2], strings[-1]
        if index + 1 >= count:
            return None
        return canonical_url(urljoin(base, f"{name}_{index + 1}.{ext}"))
    return None


def _numbered_next(root, anchors) -> str | None:
    """In a pager of page numbers, the link whose number follows the current (unlinked) one."""
    numbered = {}
    for anchor, link in anchors:
        if link.text.isdigit():
            numbered.setdefault(int(link.text), (anchor, link))
    if len(numbered) < 2:
        return None
    pager = next(iter(numbered.values()))[0].getparent()
    current = None
    if pager is not None:
        for el in pager.iter():
            own = clean_line(el.text or "")
            parent = el.getparent()
            linked = el.tag == "a" or (parent is not None and parent.tag == "a")
            if not linked and own.isdigit() and int(own) not in numbered:
                current = int(own)
                break
    if current is None:
        current = 1 if 1 not in numbered else None
    if current is not None and current + 1 in numbered:
        return numbered[current + 1][1].url
    return None


def _url_next(url: str, anchors) -> str | None:
    """A linked sibling URL whose page number is one past this page's (or page 2 / index_1)."""
    here = canonical_url(url)
    here_shape, here_number = _shape(here)
    best: tuple[int, str] | None = None
    for _anchor, link in anchors:
        shape, number = _shape(link.url)
        if number is None:
            continue
        if shape == here_shape and here_number is not None and number == here_number + 1:
            return link.url
        first_page = here_number is None and _is_first_page_of(here, link.url)
        if first_page and number <= 2 and (best is None or number < best[0]):
            best = (number, link.url)
    return best[1] if best else None


def _shape(url: str) -> tuple[str, int | None]:
    """The URL with its page number replaced by ``N``, and that number.

    The page number is the URL's last number when it stands alone as a page number does
    (``_3.html``, ``-3.html``, ``page=3``, ``/3/``) and is small; ``col60096`` is an id.
    """
    numbers = list(_PAGE_NUMBER.finditer(url))
    if not numbers or numbers[-1].end() < len(url.rstrip("/")) - 12:
        return url, None
    last = numbers[-1]
    return url[: last.start(1)] + "N" + url[last.end(1) :], int(last.group(1))


def _is_first_page_of(first: str, other: str) -> bool:
    """``index.html`` vs ``index_1.html``, ``list.asp?lb=1`` vs ``list.asp?lb=1&page=2``."""
    stripped = re.sub(r"[_-]\d+(\.\w+)$", r"\1", other)
    stripped = re.sub(
        r"[?&](page|p|pageno|pagenum|pageindex|curpage)=\d+", "", stripped, flags=re.I
    )
    return canonical_url(stripped) == first and stripped != other


# --- shared helpers ---------------------------------------------------------------------


def _parse(body: bytes, content_type: str | None):
    return parse_html(decode_html(body, content_type).text)


def _base_url(root, url: str) -> str:
    base = root.find(".//base[@href]")
    return urljoin(url, base.get("href")) if base is not None else url


def _link(anchor, base: str) -> Link | None:
    href = (anchor.get("href") or "").strip()
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    absolute = urljoin(base, href)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    text = clean_line(anchor.text_content()) or clean_line(anchor.get("title") or "")
    return Link(canonical_url(absolute), text)


def _row(anchor):
    """The list row holding ``anchor``: its nearest li/tr/dd/dt/p, else the anchor itself."""
    node = anchor.getparent()
    for _ in range(4):
        if node is None:
            break
        if node.tag in _ROW_TAGS:
            return node
        node = node.getparent()
    return anchor


def _row_date(row) -> str | None:
    text = row.text_content()
    return find_date_text(text) if len(text) < 300 else None


def _region_names(node) -> str:
    """The class and id words of ``node`` and its ancestors up to <body>."""
    names = []
    while node is not None and node.tag not in ("body", "html"):
        names.append(f"{node.get('class', '')} {node.get('id', '')}")
        if node.tag in ("nav", "header", "footer", "aside"):
            names.append(node.tag)
        node = node.getparent()
    return " ".join(names)


def _signature(node) -> str:
    """Tag/class path from <body>: blocks made by the same template loop share it."""
    parts = []
    while node is not None and node.tag not in ("body", "html"):
        parts.append(f"{node.tag}.{node.get('class', '')}")
        node = node.getparent()
    return "/".join(reversed(parts))


def _same_site(candidate: str, page: str) -> bool:
    host = urlsplit(candidate).hostname or ""
    home = (urlsplit(page).hostname or "").removeprefix("www.")
    return (
        host == home or host.endswith("." + home) or home.endswith("." + host.removeprefix("www."))
    )


def _unique(links: list[Link]) -> list[Link]:
    seen: dict[str, Link] = {}
    for link in links:
        if link.url not in seen or (link.text and not seen[link.url].text):
            seen[link.url] = link
    return list(seen.values())
