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

from pingan_crawler.parsing.anchors import MAX_LINKS_PER_PAGE, capped_anchors, cdata_records
from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.decode import DecodedPage, decode_html
from pingan_crawler.parsing.html import clean_line, parse_html, short_text
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url, link_urls

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
# Bounded and anchored at word starts: an open "(" or a 200 KB word must not make them
# rescan the rest of the script at every position.
_TRS_PAGER = re.compile(r"createPageHTML\s*\(([^()]{0,300})\)")
_JS_INT = re.compile(r"\b(\w+)\s*=\s*(\d+)\s*;")
_PAGE_NUMBER = re.compile(r"[_\-=/](\d{1,4})(?=\.\w+$|/?$|&|/)")


@dataclass(frozen=True)
class ListGuess:
    """What a list page of an unknown site seems to hold."""

    article_links: list[Link] = field(default_factory=list)
    next_page: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. links left unread on a page of too many


def discover_list_page(
    body: bytes,
    url: str,
    content_type: str | None = None,
    decoded: DecodedPage | None = None,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> ListGuess:
    """The article links (not nav/sidebar/footer) and the next page of a list page."""
    decoded = decoded or decode_html(body, content_type)
    root = parse_html(decoded.text)
    if root is None:
        return ListGuess()
    page = _Page(root, url, decoded.charset, max_links)
    records = _datastore_links(page)
    links = records or _main_list_links(page)
    return ListGuess(links, _next_page(page), page.warnings)


def discover_sections(
    body: bytes,
    url: str,
    content_type: str | None = None,
    decoded: DecodedPage | None = None,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> list[Link]:
    """The section list pages a homepage links to from its nav bar."""
    decoded = decoded or decode_html(body, content_type)
    root = parse_html(decoded.text)
    if root is None:
        return []
    page = _Page(root, url, decoded.charset, max_links)
    home = canonical_url(url)
    groups: dict = {}
    order: dict = {}
    for index, (anchor, link) in enumerate(page.anchors):
        if link.url == home or not _same_site(link.url, url):
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
        hint = 2.0 if page.regions.matches(container, _NAV_HINT) else 1.0
        early = 1.5 - order[container] / total  # nav bars come before the content
        return count * hint * early

    best = max(groups, key=score)
    if len({link.url for link in groups[best]}) < 2:
        return []
    return _unique(groups[best])


class _Page:
    """One parsed page's links, made once and shared by every guess about it.

    Each of the first ``max_links`` ``<a href>`` becomes ``(anchor, Link)``; facts about the
    page regions that hold them (template path, class/id words) are worked out once per
    element, so the guesses stay linear in the number of links.
    """

    def __init__(self, root, url: str, charset: str | None, max_links: int) -> None:
        self.root = root
        self.url = url
        self.base = _base_url(root, url)
        self.charset = charset
        elements, self.warnings = capped_anchors(root, url, max_links)
        urls = link_urls([a.get("href") for a in elements], url, self.base, charset)
        self.anchors = [
            (anchor, Link(absolute, _anchor_text(anchor)))
            for anchor, absolute in zip(elements, urls, strict=True)
            if absolute is not None
        ]
        self.regions = _Regions()
        self._dates: dict = {}

    def row_date(self, row) -> str | None:
        """The date printed in a list row (None when the "row" is a whole region: too long)."""
        if row not in self._dates:
            text = short_text(row, 300)
            self._dates[row] = find_date_text(text) if text else None
        return self._dates[row]


class _Regions:
    """Per-element memos: the template path of an element (as an int id) and whether an
    element or one of its ancestors has class/id words matching a pattern."""

    def __init__(self) -> None:
        self._ids: dict = {}
        self._paths: dict[tuple, int] = {}
        self._matches: dict[tuple, bool] = {}

    def signature(self, node) -> int:
        """Tag/class path from <body>: blocks made by the same template loop share it."""
        chain = []
        while node is not None and node.tag not in ("body", "html") and node not in self._ids:
            chain.append(node)
            node = node.getparent()
        parent_id = self._ids.get(node, -1) if node is not None else -1
        for el in reversed(chain):
            key = (parent_id, el.tag, el.get("class", ""))
            parent_id = self._paths.setdefault(key, len(self._paths))
            self._ids[el] = parent_id
        return parent_id

    def matches(self, node, pattern: re.Pattern[str]) -> bool:
        """Whether ``node`` or an ancestor below <body> names a region ``pattern`` matches."""
        chain = []
        while node is not None and node.tag not in ("body", "html"):
            known = self._matches.get((pattern.pattern, node))
            if known is not None:
                break
            chain.append(node)
            node = node.getparent()
        else:
            known = False
        for el in reversed(chain):
            known = known or bool(pattern.search(_own_names(el)))
            self._matches[(pattern.pattern, el)] = known
        return known


# --- list pages -------------------------------------------------------------------------


def _main_list_links(page: _Page) -> list[Link]:
    """The links of the best-scoring repeated block (all blocks made by its template loop)."""
    groups: dict[int, list[Link]] = {}
    penalised: dict[int, bool] = {}
    for anchor, link in page.anchors:
        if len(link.text) < 5 or _PAGER_WORDS.match(link.text):
            continue
        if _NEXT_TEXT.match(link.text) or _PREV_TEXT.match(link.text):
            continue
        row = _row(anchor)
        container = (row if row is not anchor else anchor).getparent()
        if container is None:
            continue
        date = page.row_date(row if row is not anchor else container)
        key = page.regions.signature(container)
        groups.setdefault(key, []).append(Link(link.url, link.text, date))
        if key not in penalised:
            penalised[key] = page.regions.matches(container, _OFF_MAIN)
    if not groups:
        return []
    unique = {key: _unique(links) for key, links in groups.items()}

    def score(key: int) -> float:
        links = unique[key]
        value = sum(min(len(link.text), 40) + (15 if link.date else 0) for link in links)
        value += 10 * sum(1 for link in links if _ARTICLE_URL.search(link.url))
        return value * (0.3 if penalised[key] else 1.0)

    best = max(groups, key=score)
    links = unique[best]
    if len(links) < 2 and score(best) < 40:
        return []
    return links


def _datastore_links(page: _Page) -> list[Link]:
    """Hanweb's ``<datastore><record><![CDATA[<li><a …>]]>`` first records, if any."""
    links: list[Link] = []
    for script in page.root.iter("script"):
        text = script.text or ""
        if "<record>" not in text:
            continue
        for fragment in cdata_records(text):
            row = parse_html(f"<html><body>{fragment}</body></html>")
            if row is None:
                continue
            date = find_date_text(row.text_content())
            anchors = [a for a in row.iter("a") if a.get("href")]
            urls = link_urls([a.get("href") for a in anchors], page.url, page.base, page.charset)
            for anchor, absolute in zip(anchors, urls, strict=True):
                if absolute is not None:
                    links.append(Link(absolute, _anchor_text(anchor), date))
            if len(links) >= MAX_LINKS_PER_PAGE:
                return _unique(links)
    return _unique(links)


def _next_page(page: _Page) -> str | None:
    here = canonical_url(page.url)
    anchors = [(a, link) for a, link in page.anchors if link.url != here]
    for _anchor, link in anchors:
        if _NEXT_TEXT.match(link.text):
            return link.url
    for candidate in (
        _trs_next(page.root, page.base),
        _numbered_next(anchors),
        _url_next(page.url, anchors),
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


def _numbered_next(anchors) -> str | None:
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
        first_page = number <= 2 and here_number is None and _is_first_page_of(here, link.url)
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
    return stripped != other and canonical_url(stripped) == first


# --- shared helpers ---------------------------------------------------------------------


def _base_url(root, url: str) -> str:
    base = root.find(".//base[@href]")
    return urljoin(url, base.get("href")) if base is not None else url


def _anchor_text(anchor) -> str:
    return clean_line(anchor.text_content()) or clean_line(anchor.get("title") or "")


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


def _own_names(node) -> str:
    """The class and id words of ``node`` (and its tag, for nav/header/footer/aside)."""
    names = f"{node.get('class', '')} {node.get('id', '')}"
    return f"{names} {node.tag}" if node.tag in ("nav", "header", "footer", "aside") else names


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
