"""Read a section list page: the article links on it and the link to its next page."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.html import clean_line, parse_html
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url

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
