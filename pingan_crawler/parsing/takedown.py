"""Is an archived article gone? Pure verdicts over what its URL answers now.

``pingan recheck`` asks these for every answer that is not a 304: a redirect is judged by where
it leads, a page by what it says. Facts only the archive knows (is the target another archived
article, a list page the crawl walked) come in as arguments, so everything here is testable
with bytes and strings. What is never a takedown (a challenge, a timeout, a 5xx) never reaches
here: the crawl's middlewares stop or record those first.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pingan_crawler import errorkinds
from pingan_crawler.parsing.decode import DecodedPage
from pingan_crawler.parsing.diff import same_article
from pingan_crawler.parsing.listing import is_homepage
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.sniff import page_refusal
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites import SiteProfile


def _comparable_url(url: str) -> tuple[str, str, str]:
    """A URL without what never tells two pages apart: scheme, ``www.``, a default index
    file, a trailing slash, query order."""
    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    path = parts.path
    for index in ("index.html", "index.htm", "index.shtml", "default.htm", "default.html"):
        if path.endswith("/" + index):
            path = path[: -len(index)]
    return host, path.rstrip("/") or "/", parts.query


def same_page(url: str, other: str) -> bool:
    """Whether two URLs name one page (``http://a/x`` and ``https://www.a/x/``)."""
    return _comparable_url(url) == _comparable_url(other)


def redirect_removal(
    article_url: str,
    target: str,
    profile: SiteProfile,
    *,
    another_article: bool = False,
    list_page: bool = False,
) -> str | None:
    """Why a redirect from an archived article's URL to ``target`` means it is gone, or None
    when the target may still be the article (its canonical URL, or a page to look at).

    Gone: the homepage, another archived article (``another_article``), a list page the crawl
    walked (``list_page``), or on a site whose profile knows its article URLs, any page that is
    not one. A target that is none of these is fetched and judged by :func:`moved_article`.
    """
    if same_page(article_url, target):
        return None
    if another_article:
        return f"redirected to another article {target}"
    if list_page:
        return f"redirected to the list page {target}"
    if is_homepage(target) and not urlsplit(target).query:  # /index.asp?id=3 is no homepage
        return f"redirected to the homepage {target}"
    same_site = urlsplit(target).netloc.removeprefix("www.") == urlsplit(
        profile.base_url
    ).netloc.removeprefix("www.")
    if profile.origin != "start_url" and same_site and not profile.is_article_url(target):
        return f"redirected to {target}, which is not an article page (a list or another page)"
    return None


def page_removal(
    body: bytes,
    url: str,
    content_type: str | None,
    profile: SiteProfile | None,
    decoded: DecodedPage,
    article: Article,
    old_page_readable: bool = True,
) -> str | None:
    """Why a page answered 200 at an archived article's URL says the article is gone, or None.

    A soft 404 (a stub, a script sending you home, a 信息不存在 notice in the site's chrome) or
    an empty shell (the page has no title or no body left). ``article`` is the page parsed;
    ``old_page_readable`` says whether today's parser still finds title and body in the stored
    page: if not, a missing field is the parser's failing, not the site's, and no verdict.
    """
    refusal = page_refusal(body, url, content_type, profile or _NO_PROFILE, None, decoded)
    if refusal and refusal[0] == errorkinds.SOFT_404:
        return f"soft 404: {refusal[1]}"
    if article.missing and old_page_readable:
        return f"{url}: an empty shell, the page has no {' and '.join(article.missing)}"
    return None


def moved_article(title: str | None, body: str, landing: Article) -> bool:
    """Whether a page is the archived article (same title, or much of its text), not another
    page: where a redirect led, or what its own URL shows now (a homepage or another article
    served as 200 is a takedown, not an edit)."""
    return same_article(title, body, landing.title, landing.body)


def _no_profile() -> SiteProfile:
    return SiteProfile(name="", title="", base_url="", article_url=".", list_url="")


_NO_PROFILE = _no_profile()
