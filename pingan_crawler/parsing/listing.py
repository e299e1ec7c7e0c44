"""Read a section list page: the article links on it and the link to its next page."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from pingan_crawler.parsing.anchors import MAX_LINKS_PER_PAGE, capped_anchors, cdata_records
from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.decode import DecodedPage, decode_html
from pingan_crawler.parsing.html import clean_line, parse_html, short_text
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url, link_urls
from pingan_crawler.sites import Section, SiteProfile

_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|下一頁|next|›|>|»)\s*$", re.IGNORECASE)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageLinks:
    """The links of a page, and what was left unread."""

    links: list[Link]
    warnings: tuple[str, ...] = ()


def page_links(
    body: bytes,
    url: str,
    content_type: str | None = None,
    charset: str | None = None,
    decoded: DecodedPage | None = None,
) -> list[Link]:
    """Every ``<a href>`` of the page, absolute and canonical, in document order, no repeats
    (the first :data:`MAX_LINKS_PER_PAGE`). ``decoded`` saves decoding the body again."""
    return read_page_links(body, url, content_type, charset, decoded).links


def read_page_links(
    body: bytes,
    url: str,
    content_type: str | None = None,
    charset: str | None = None,
    decoded: DecodedPage | None = None,
    max_links: int = MAX_LINKS_PER_PAGE,
) -> PageLinks:
    """:func:`page_links`, with a warning when the page has more than ``max_links`` links."""
    decoded = decoded or decode_html(body, content_type, override=charset)
    root = parse_html(decoded.text)
    if root is None:
        return PageLinks([])
    return links_of_tree(root, url, decoded.charset, max_links)


def links_of_tree(root, url: str, charset: str | None, max_links: int) -> PageLinks:
    """The links of a parsed page (see :func:`page_links`)."""
    base = root.find(".//base[@href]")
    base_url = urljoin(url, base.get("href")) if base is not None else url
    anchors, warnings = capped_anchors(root, url, max_links)
    urls = link_urls([a.get("href") for a in anchors], url, base_url, charset)
    links: dict[str, Link] = {}
    dates: dict = {}  # per row element: many links may share one (a <div> of links)
    for anchor, absolute in zip(anchors, urls, strict=True):
        if absolute is None:
            continue
        if absolute in links and links[absolute].text:
            continue
        text = clean_line(anchor.get("title") or anchor.text_content())
        if absolute not in links or text:
            links[absolute] = Link(absolute, text, _date_beside(anchor, dates))
    return PageLinks(list(links.values()), warnings)


def _date_beside(anchor, dates: dict) -> str | None:
    """A list row's date (``<li><span>2021-2-26</span><a>…</a></li>``), if the row has one;
    ``dates`` memoises it per row."""
    row = anchor.getparent()
    if row is None or row.tag not in ("li", "tr", "td", "dd", "dt", "p", "div"):
        return None
    if row not in dates:
        text = short_text(row, 300)
        dates[row] = find_date_text(text) if text else None
    return dates[row]


def is_homepage(url: str) -> bool:
    """``http://host/`` or ``http://host/index.html``: a site's front page, not a section list."""
    path = urlsplit(url).path
    return path in ("", "/") or bool(re.fullmatch(r"/(index|default|main)\.\w+", path, re.I))


def next_page_url(links: list[Link], expected_next: str | None) -> str | None:
    """The next list page: the templated URL if the pager links to it, else a 下一页 link."""
    if expected_next:
        wanted = canonical_url(expected_next)
        if any(link.url == wanted for link in links):
            return wanted
    for link in links:
        if _NEXT_TEXT.match(link.text):
            return link.url
    return None


# --- pagination styles (a profile's [pagination] style) -------------------------------------

_TRS_PAGER = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,")
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
_JPAGE_TOTAL = re.compile(r"totalRecord\s*:\s*['\"]?(\d+)")  # the list page's jpage({…}) call


@dataclass(frozen=True)
class NextPage:
    """The request for a list's next page: a GET, or a POST of ``form`` (Hanweb dataproxy)."""

    url: str
    form: dict[str, str] | None = None
    offset: int = 0  # records read so far (Hanweb)


@dataclass(frozen=True)
class ListRead:
    """What one list page says: its article links and how the list goes on."""

    links: list[Link]
    articles: list[Link]
    next: NextPage | None = None
    total: int | None = None  # pages (TRS) or records (Hanweb) the list says it has
    stub: bool = False  # a page that lists nothing (a stub beyond the real end)
    warnings: tuple[str, ...] = ()  # e.g. links left unread on a page of too many


def trs_pager(text: str) -> tuple[int, int] | None:
    """``createPageHTML(count, index, "index", "shtml")`` → ``(count, index)``."""
    match = _TRS_PAGER.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def datastore_records(
    text: str, url: str, charset: str | None = None, max_links: int = MAX_LINKS_PER_PAGE
) -> tuple[list[Link], int | None]:
    """Links of a Hanweb ``<datastore>`` (embedded or a dataproxy.jsp reply), and its
    ``<totalrecord>``. Each record is a CDATA fragment ``<li><a href=…>…</a><span>date</span>``."""
    links: dict[str, Link] = {}
    for fragment in cdata_records(text):
        for link in _fragment_links(fragment, url, charset):
            links.setdefault(link.url, link)
        if len(links) >= max_links:
            break
    total = _TOTAL_RECORD.search(text)
    return list(links.values()), int(total.group(1)) if total else None


def _fragment_links(fragment: str, url: str, charset: str | None) -> list[Link]:
    root = parse_html(f"<html><body><ul>{fragment}</ul></body></html>")
    if root is None:
        return []
    anchors = [a for a in root.iter("a") if a.get("href")]
    date = None
    if len(fragment) < 600:
        date = find_date_text(clean_line(root.text_content()))
    found = []
    for anchor, absolute in zip(
        anchors, link_urls([a.get("href") for a in anchors], url, charset=charset), strict=True
    ):
        if absolute is not None:
            text = clean_line(anchor.get("title") or anchor.text_content())
            found.append(Link(absolute, text, date))
    return found


def read_list_page(
    body: bytes,
    url: str,
    profile: SiteProfile,
    section: Section,
    page: int,
    content_type: str | None = None,
    offset: int = 0,
) -> ListRead:
    """Read list page ``page`` of ``section`` (public ``url``) the way the profile's pagination
    style says; ``offset`` is the number of records read before it (Hanweb)."""
    style = profile.pagination.style
    decoded = decode_html(body, content_type, override=profile.charset)
    if style == "discover":
        return _read_discovered(body, url, content_type, profile, decoded)
    if style == "hanweb":
        return _read_hanweb(decoded, url, profile, section, offset)
    read = read_page_links(body, url, decoded=decoded)
    links, warnings = read.links, read.warnings
    articles = [link for link in links if profile.is_article_url(link.url)]
    if not articles:
        return ListRead(links, articles, None, stub=True, warnings=warnings)
    if style == "trs":
        pager = trs_pager(decoded.text)
        if pager is not None:
            count, index = pager
            following = profile.list_page_url(section, page + 1) if index + 1 < count else None
            return ListRead(
                links,
                articles,
                NextPage(following) if following else None,
                count,
                warnings=warnings,
            )
    following = next_page_url(links, profile.list_page_url(section, page + 1))
    return ListRead(links, articles, NextPage(following) if following else None, warnings=warnings)


def _read_hanweb(decoded: DecodedPage, url, profile, section, offset) -> ListRead:
    text = decoded.text
    records, total = datastore_records(text, url, decoded.charset)
    if total is None and (declared := _JPAGE_TOTAL.search(text)):
        total = int(declared.group(1))
    articles = [link for link in records if profile.is_article_url(link.url)]
    if not articles:
        return ListRead(records, articles, None, total, stub=True)
    read = offset + len(records)
    following = None
    if total is None or read < total:
        paging = profile.pagination
        query = urlencode(
            {"startrecord": read + 1, "endrecord": read + paging.group, "perpage": paging.perpage}
        )
        proxy = profile.absolute(paging.proxy_url)
        following = NextPage(f"{proxy}?{query}", profile.hanweb_form(section), read)
    return ListRead(records, articles, following, total)


def _read_discovered(
    body: bytes, url: str, content_type, profile: SiteProfile, decoded: DecodedPage
) -> ListRead:
    """A list page whose links and next page are found by heuristics (no profile, or one that
    knows only the article URL pattern, which then filters what was found)."""
    from pingan_crawler.parsing.discover import discover_list_page

    guess = discover_list_page(body, url, content_type, decoded=decoded)
    articles = [link for link in guess.article_links if profile.is_article_url(link.url)]
    following = NextPage(guess.next_page) if guess.next_page and articles else None
    return ListRead(articles, articles, following, stub=not articles, warnings=guess.warnings)
