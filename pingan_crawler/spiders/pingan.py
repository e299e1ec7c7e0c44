"""The one spider: walks a profile's section lists page by page and fetches each article.

``scrapy crawl pingan -a site=pasxw [-a base_url=http://127.0.0.1:PORT] [-a full=1]
[-a max_pages=N] [-a since=2021-01-01] [-a refresh_views_days=N]``

Incremental by default: the archive is the record of what is done. List pages are always
fetched; articles already archived are not; a section stops paging after
``PINGAN_STOP_AFTER_KNOWN_PAGES`` list pages in a row that hold only known articles.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from pingan_crawler.items import (
    ArticlePage,
    ListPage,
    PageError,
    SectionWalked,
    Snapshot,
    ViewReading,
)
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI, parse_publish_time
from pingan_crawler.parsing.listing import next_page_url, page_links
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites import Section, load_profile
from pingan_crawler.storage import Archive


def snapshot_of(response: Response, public_url: str, charset: str | None = None) -> Snapshot:
    headers = {
        name.decode("latin-1"): [v.decode("latin-1") for v in values]
        for name, values in response.headers.items()
    }
    return Snapshot(
        url=public_url,
        status=response.status,
        headers=headers,
        body=response.body,
        fetched_at=datetime.now(SHANGHAI),
        fetched_url=response.url,
        charset=charset,
    )


def content_type_of(response: Response) -> str:
    return response.headers.get("Content-Type", b"").decode("latin-1")


def _flag(value: str) -> bool:
    return str(value).lower() not in ("", "0", "false", "no")


class PinganSpider(scrapy.Spider):
    name = "pingan"

    def __init__(
        self,
        site: str = "pasxw",
        base_url: str = "",
        full: str = "",
        max_pages: str = "",
        since: str = "",
        refresh_views_days: str = "",
        **kwargs,
    ):
        super().__init__(**kwargs)
        profile = load_profile(site)
        self.profile = profile.with_mirror(base_url) if base_url else profile
        self.full = _flag(full)
        self.max_pages = int(max_pages) if max_pages else None
        self.since = parse_publish_time(since).value if since else None
        if since and self.since is None:
            raise ValueError(f"since={since!r} is not a date (use YYYY-MM-DD)")
        self.refresh_views_days = int(refresh_views_days) if refresh_views_days else None
        self.known_urls: set[str] = set()
        self.walked_sections: set[str] = set()

    def open_state(self):
        """The incremental state: the archive, or its Redis mirror in a distributed crawl."""
        reader = self.settings.get("PINGAN_STATE_READER")
        if reader:
            return load_object(reader)(self.settings)
        return Archive(self.settings.get("PINGAN_DB"))

    async def start(self):
        archive = self.open_state()
        try:
            if self.refresh_views_days is not None:
                cutoff = datetime.now(SHANGHAI) - timedelta(days=self.refresh_views_days)
                urls = archive.article_urls_published_since(self.profile.name, cutoff)
            elif not self.full:
                self.known_urls = archive.known_article_urls(self.profile.name)
                self.walked_sections = archive.walked_sections(self.profile.name)
                leftovers = archive.listed_not_archived(self.profile.name)
        finally:
            archive.close()
        if self.refresh_views_days is not None:
            for url in urls:
                yield self.request(url, self.parse_views)
            return
        if not self.full:
            # Articles listed by an earlier run but never stored (killed, failed): fetch now.
            for url, section_name in leftovers:
                section = self.profile.section_named(section_name)
                if section is not None and self.profile.is_article_url(url):
                    self.known_urls.add(url)  # requested here; the list pages need not again
                    yield self.request(url, self.parse_article, section=section)
        for section in self.profile.sections:
            page = self.profile.first_page
            yield self.list_request(
                self.profile.list_page_url(section, page),
                section=section,
                page=page,
                known_pages=0,
            )

    def request(
        self, public_url: str, callback, dont_filter: bool = False, **cb_kwargs
    ) -> scrapy.Request:
        """Spider logic works on public URLs; only the fetch goes to the mirror, if any."""
        return scrapy.Request(
            self.profile.to_mirror(public_url),
            callback=callback,
            errback=self.failed,
            cb_kwargs=cb_kwargs,
            dont_filter=dont_filter,
        )

    def list_request(self, public_url: str, **cb_kwargs) -> scrapy.Request:
        """A list page; a persistent (distributed) dupefilter must not drop it next run."""
        dont_filter = self.settings.getbool("PINGAN_LIST_PAGES_DONT_FILTER")
        return self.request(public_url, self.parse_list, dont_filter=dont_filter, **cb_kwargs)

    def _too_old(self, date_text: str | None) -> bool:
        if self.since is None or not date_text:
            return False
        listed = parse_publish_time(date_text).value
        return listed is not None and listed < self.since

    def parse_list(self, response: Response, section: Section, page: int, known_pages: int):
        links = page_links(
            response.body,
            self.profile.to_public(response.url),
            content_type_of(response),
            self.profile.charset,
        )
        articles = [link for link in links if self.profile.is_article_url(link.url)]
        yield ListPage(self.profile.name, section.name, page, self.snapshot(response), articles)
        wanted = [a for a in articles if a.url not in self.known_urls and not self._too_old(a.date)]
        for link in wanted:
            yield self.request(link.url, self.parse_article, section=section)
        known_pages = known_pages + 1 if articles and not wanted else 0
        stop = self._stop_paging(section, articles, page, known_pages)
        if stop:
            if stop in ("end of list", "known articles"):
                yield SectionWalked(self.profile.name, section.name, stop)
            return
        expected = self.profile.list_page_url(section, page + 1)
        following = next_page_url(links, expected)
        if following == canonical_url(self.profile.to_public(response.url)):
            following = None  # a pager linking to itself ends the list
        if following:
            yield self.list_request(
                following, section=section, page=page + 1, known_pages=known_pages
            )
        else:
            yield SectionWalked(self.profile.name, section.name, "end of list")

    def _stop_paging(self, section: Section, articles, page: int, known_pages: int) -> str:
        """Why paging of this section stops here ("" to go on)."""
        if not articles:
            return "end of list"  # an empty or stub page ends the list
        pages_walked = page - self.profile.first_page + 1
        if self.max_pages is not None and pages_walked >= self.max_pages:
            return "max pages"
        dated = [a for a in articles if a.date]
        if self.since is not None and dated and all(self._too_old(a.date) for a in dated):
            return "since"  # the list is newest-first and this page is all before --since
        stop_after = self.settings.getint("PINGAN_STOP_AFTER_KNOWN_PAGES")
        if (
            not self.full
            and stop_after > 0
            and known_pages >= stop_after
            and section.name in self.walked_sections
        ):
            return "known articles"
        return ""

    def extract(self, response: Response):
        return extract_article(
            response.body,
            self.profile.to_public(response.url),
            self.profile,
            content_type_of(response),
        )

    def parse_article(self, response: Response, section: Section):
        article = self.extract(response)
        yield ArticlePage(
            self.profile.name, section.name, self.snapshot(response, article.charset), article
        )

    def parse_views(self, response: Response):
        article = self.extract(response)
        yield ViewReading(
            self.profile.name,
            article.url,
            article.view_count,
            article.view_count_raw,
            "page",
            datetime.now(SHANGHAI),
        )

    def snapshot(self, response: Response, charset: str | None = None) -> Snapshot:
        return snapshot_of(response, self.profile.to_public(response.url), charset)

    def failed(self, failure: Failure):
        """A request that failed for good (after retries): one error item, the crawl goes on."""
        request = failure.request
        url = self.profile.to_public(request.url)
        if failure.check(HttpError):
            response = failure.value.response
            yield PageError(
                self.profile.name,
                url,
                "http_status",
                f"HTTP {response.status} for {url}",
                response.status,
                self.snapshot(response),
            )
        else:
            yield PageError(
                self.profile.name,
                url,
                "fetch_failed",
                f"{failure.type.__name__}: {failure.getErrorMessage()}",
            )
