"""The one spider: walks a profile's section lists page by page and fetches each article.

``scrapy crawl pingan -a site=pasxw [-a base_url=http://127.0.0.1:PORT] [-a full=1]``
"""

from __future__ import annotations

from datetime import datetime

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pingan_crawler.items import ArticlePage, ListPage, PageError, Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.listing import next_page_url, page_links
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


class PinganSpider(scrapy.Spider):
    name = "pingan"

    def __init__(self, site: str = "pasxw", base_url: str = "", full: str = "", **kwargs):
        super().__init__(**kwargs)
        profile = load_profile(site)
        self.profile = profile.with_mirror(base_url) if base_url else profile
        self.full = full not in ("", "0", "false", "no")
        self.known_urls: set[str] = set()

    async def start(self):
        if not self.full:
            # The archive is the record of what is done: known articles are not fetched again.
            archive = Archive(self.settings.get("PINGAN_DB"))
            self.known_urls = archive.known_article_urls(self.profile.name)
            archive.close()
        for section in self.profile.sections:
            page = self.profile.first_page
            yield self.request(
                self.profile.list_page_url(section, page),
                self.parse_list,
                section=section,
                page=page,
            )

    def request(self, public_url: str, callback, **cb_kwargs) -> scrapy.Request:
        """Spider logic works on public URLs; only the fetch goes to the mirror, if any."""
        return scrapy.Request(
            self.profile.to_mirror(public_url),
            callback=callback,
            errback=self.failed,
            cb_kwargs=cb_kwargs,
        )

    def parse_list(self, response: Response, section: Section, page: int):
        links = page_links(
            response.body,
            self.profile.to_public(response.url),
            content_type_of(response),
            self.profile.charset,
        )
        articles = [link for link in links if self.profile.is_article_url(link.url)]
        yield ListPage(self.profile.name, section.name, page, self.snapshot(response), articles)
        for link in articles:
            if link.url not in self.known_urls:
                yield self.request(link.url, self.parse_article, section=section)
        if articles:
            expected = self.profile.list_page_url(section, page + 1)
            following = next_page_url(links, expected)
            if following:
                yield self.request(following, self.parse_list, section=section, page=page + 1)

    def parse_article(self, response: Response, section: Section):
        article = extract_article(
            response.body,
            self.profile.to_public(response.url),
            self.profile,
            content_type_of(response),
        )
        yield ArticlePage(
            self.profile.name, section.name, self.snapshot(response, article.charset), article
        )

    def snapshot(self, response: Response, charset: str | None = None) -> Snapshot:
        return snapshot_of(response, self.profile.to_public(response.url), charset)

    def failed(self, failure: Failure):
        """A request that failed for good (after retries): one error item, the crawl goes on."""
        request = failure.request
        if failure.check(HttpError):
            response = failure.value.response
            url = self.profile.to_public(request.url)
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
                self.profile.to_public(request.url),
                "fetch_failed",
                f"{failure.type.__name__}: {failure.getErrorMessage()}",
            )
