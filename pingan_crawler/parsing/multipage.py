"""Multi-page articles: find the later pages an article page links to, and join them into one.

CMSes split long articles over ``<id>_2.html`` (DedeCMS, EmpireCMS, PHPCMS static),
``show-<catid>-<id>-2.html`` (PHPCMS), ``…&Page=2`` (PowerEasy ASP). A link is a later page of
this article when, with its page number taken off, it is this article's URL (or this article's
page 1). The number must be small: a TRS id such as ``t20220405_24040021`` is not a page.

A pager may claim more than it is worth (共1000页 on every page, each linking the next), so a
crawl joins at most ``limit`` pages (the spider's ``PINGAN_MAX_ARTICLE_PAGES``) and stops at a
page that repeats an earlier one; :func:`cut_warning` is what the stored article then says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urljoin

from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.urls import canonical_url

MAX_PAGES = 200  # a page number beyond this is no page number
_SUFFIX = re.compile(r"^(?P<base>.*?)_(?P<page>\d{1,3})(?P<ext>\.[a-z]{3,5})$", re.IGNORECASE)
_SHOW = re.compile(r"^(?P<base>.*/show-\d+-\d+)-(?P<page>\d{1,3})(?P<ext>\.html?)$")
_QUERY = re.compile(r"(?P<sep>[?&])page=(?P<page>\d{1,3})(?=&|$)", re.IGNORECASE)
# A cheap first look at an href: could it carry a page number at all? (Most links cannot.)
_MAYBE_PAGE = re.compile(r"[_-]\d{1,3}\.[a-z]{3,5}(?:$|[?#])|[?&]page=\d", re.IGNORECASE)


def page_key(url: str) -> tuple[str, int | None]:
    """``(url without its page number, page number)``; the number is None when there is none."""
    if match := _SHOW.match(url):
        return match["base"] + match["ext"], int(match["page"])
    if match := _QUERY.search(url):
        rest = url[match.end() :]
        if match["sep"] == "?" and rest.startswith("&"):
            rest = "?" + rest[1:]
        return url[: match.start()] + rest, int(match["page"])
    if match := _SUFFIX.match(url):
        return match["base"] + match["ext"], int(match["page"])
    return url, None


def is_later_page(link: str, article_url: str) -> bool:
    """``<id>_2.html`` of ``<id>.html``; ``show-c-id-3.html`` of ``show-c-id-1.html``. TRS is
    said to number an article's second page ``t…_1.shtml`` (0-based, like its lists), so a
    ``_1`` right after the article's own URL counts too."""
    base, page = page_key(link)
    if page is None or page > MAX_PAGES:
        return False
    if base == article_url:
        return page >= 1
    return page >= 2 and base == page_key(article_url)[0]


def later_pages(hrefs: list[str], article_url: str) -> tuple[str, ...]:
    """The later pages among a page's links, absolute, by page number, no repeats."""
    found: dict[str, int] = {}
    for href in hrefs:
        if not _MAYBE_PAGE.search(href):
            continue
        absolute = canonical_url(urljoin(article_url, href))
        if absolute != article_url and is_later_page(absolute, article_url):
            found[absolute] = page_key(absolute)[1] or 0
    return tuple(sorted(found, key=found.__getitem__))


def next_missing_page(pages: list[Article], limit: int = MAX_PAGES) -> str | None:
    """The lowest-numbered later page that the pages fetched so far link to and that is not
    fetched yet (a pager may show only the pages around the current one); None once
    ``limit`` pages are read (see :func:`cut_warning`)."""
    wanted = _wanted(pages)
    if not wanted or len(pages) >= limit:
        return None
    return min(wanted, key=lambda url: page_key(url)[1] or 0)


def _wanted(pages: list[Article]) -> set[str]:
    fetched = {page.url for page in pages}
    return {url for page in pages for url in page.continuations if url not in fetched}


def cut_warning(pages: list[Article], limit: int) -> str | None:
    """The warning of an article cut at ``limit`` pages while its pager links further, or
    None when nothing was left out."""
    wanted = _wanted(pages)
    if len(pages) < limit or not wanted:
        return None
    following = min(wanted, key=lambda url: page_key(url)[1] or 0)
    return (
        f"multi-page article cut at {limit} pages (PINGAN_MAX_ARTICLE_PAGES): its pager "
        f"links further, from {following}; the rest was not fetched"
    )


def repeats_earlier_page(pages: list[Article]) -> Article | None:
    """The earlier page whose body the last page repeats, if any (a pager serving one page
    under many numbers: the article ends before the repeat)."""
    *earlier, last = pages
    if not last.body:
        return None
    return next((page for page in earlier if page.body == last.body), None)


def join_pages(first: Article, rest: list[Article]) -> Article:
    """One article from its pages: the first page's fields, every page's body, in order."""
    if not rest:
        return first
    images = list(first.images)
    for page in rest:
        images += [src for src in page.images if src not in images]
    warnings = list(first.warnings)
    for page in rest:
        warnings += [f"page {page.url}: {w}" for w in page.warnings]
        if not page.body:
            warnings.append(f"page {page.url}: no body text")
    return replace(
        first,
        body="\n".join(p.body for p in (first, *rest) if p.body),
        body_html="\n".join(p.body_html for p in (first, *rest) if p.body_html),
        images=tuple(images),
        warnings=tuple(warnings),
        continuations=(),
        pages=1 + len(rest),
    )
