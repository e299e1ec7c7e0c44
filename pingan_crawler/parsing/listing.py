"""Read a section list page: the article links on it and the link to its next page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.html import clean_line, parse_html
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites import Section, SiteProfile

_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|下一頁|next|›|>|»)\s*$", re.IGNORECASE)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


def page_links(
    body: bytes, url: str, content_type: str | None = None, charset: str | None = None
) -> list[Link]:
    """Every ``<a href>`` of the page, absolute and canonical, in document order, no repeats."""
    root = parse_html(decode_html(body, content_type, override=charset).text)
    if root is None:
        return []
    base = root.find(".//base[@href]")
    base_url = urljoin(url, base.get("href")) if base is not None else url
    links: dict[str, Link] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        absolute = canonical_url(urljoin(base_url, href))
        text = clean_line(anchor.get("title") or anchor.text_content())
        if absolute not in links or (text and not links[absolute].text):
            links[absolute] = Link(absolute, text, _date_beside(anchor))
    return list(links.values())


def _date_beside(anchor) -> str | None:
    """A list row's date (``<li><span>2021-2-26</span><a>…</a></li>``), if the row has one."""
    row = anchor.getparent()
    if row is None or row.tag not in ("li", "tr", "td", "dd", "dt", "p", "div"):
        return None
    text = row.text_content()
    return find_date_text(text) if len(text) < 300 else None


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
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)
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


def trs_pager(text: str) -> tuple[int, int] | None:
    """``createPageHTML(count, index, "index", "shtml")`` → ``(count, index)``."""
    match = _TRS_PAGER.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def datastore_records(text: str, url: str) -> tuple[list[Link], int | None]:
    """Links of a Hanweb ``<datastore>`` (embedded or a dataproxy.jsp reply), and its
    ``<totalrecord>``. Each record is a CDATA fragment ``<li><a href=…>…</a><span>date</span>``."""
    links: list[Link] = []
    for fragment in _RECORD.findall(text):
        for link in _fragment_links(fragment, url):
            if link.url not in {known.url for known in links}:
                links.append(link)
    total = _TOTAL_RECORD.search(text)
    return links, int(total.group(1)) if total else None


def _fragment_links(fragment: str, url: str) -> list[Link]:
    root = parse_html(f"<html><body><ul>{fragment}</ul></body></html>")
    if root is None:
        return []
    found = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.lower().startswith(_SKIP_SCHEMES):
            text = clean_line(anchor.get("title") or anchor.text_content())
            date = find_date_text(clean_line(root.text_content())) if len(fragment) < 600 else None
            found.append(Link(canonical_url(urljoin(url, href)), text, date))
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
    if style == "discover":
        return _read_discovered(body, url, content_type, profile)
    if style == "hanweb":
        return _read_hanweb(body, url, profile, section, content_type, offset)
    links = page_links(body, url, content_type, profile.charset)
    articles = [link for link in links if profile.is_article_url(link.url)]
    if not articles:
        return ListRead(links, articles, None, stub=True)
    if style == "trs":
        pager = trs_pager(decode_html(body, content_type, override=profile.charset).text)
        if pager is not None:
            count, index = pager
            following = profile.list_page_url(section, page + 1) if index + 1 < count else None
            return ListRead(links, articles, NextPage(following) if following else None, count)
    following = next_page_url(links, profile.list_page_url(section, page + 1))
    return ListRead(links, articles, NextPage(following) if following else None)


def _read_hanweb(body, url, profile, section, content_type, offset) -> ListRead:
    text = decode_html(body, content_type, override=profile.charset).text
    records, total = datastore_records(text, url)
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


def _read_discovered(body: bytes, url: str, content_type, profile: SiteProfile) -> ListRead:
    """A list page whose links and next page are found by heuristics (no profile, or one that
    knows only the article URL pattern, which then filters what was found)."""
    from pingan_crawler.parsing.discover import discover_list_page

    guess = discover_list_page(body, url, content_type)
    articles = [link for link in guess.article_links if profile.is_article_url(link.url)]
    following = NextPage(guess.next_page) if guess.next_page and articles else None
    return ListRead(articles, articles, following, stub=not articles)
