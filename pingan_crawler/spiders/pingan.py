"""The one spider: walks a profile's section lists page by page and fetches each article.

``scrapy crawl pingan -a site=pasxw [-a base_url=http://127.0.0.1:PORT] [-a full=1]
[-a max_pages=N] [-a since=2021-01-01] [-a refresh_views_days=N]``, or for a site with no
profile ``scrapy crawl pingan -a start_url=URL`` (several URLs separated by spaces): each is a
section list page, or a homepage whose nav leads to them.

How a list goes on (``?page=N`` links, TRS ``createPageHTML``, Hanweb dataproxy POSTs, found by
heuristics) is read by :func:`read_list_page`; multi-page articles are fetched page by page and
joined; view counters are fetched only when the profile opts in.

Incremental by default: the archive is the record of what is done. List pages are always
fetched; articles already archived are not; a section stops paging after
``PINGAN_STOP_AFTER_KNOWN_PAGES`` list pages in a row that hold only known articles.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import scrapy
from scrapy.http import Response
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from pingan_crawler.failures import already_handled, describe_failure
from pingan_crawler.items import (
    ArticlePage,
    ListPage,
    PageError,
    SectionWalked,
    Snapshot,
    ViewReading,
)
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.counters import read_counter
from pingan_crawler.parsing.dates import SHANGHAI, parse_publish_time
from pingan_crawler.parsing.listing import is_homepage, read_list_page
from pingan_crawler.parsing.meta import parse_view_count
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.multipage import join_pages, next_missing_page
from pingan_crawler.parsing.sniff import page_refusal
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites import Section, generic_profile, load_profile
from pingan_crawler.storage import ArchiveState


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
        site: str = "",
        base_url: str = "",
        full: str = "",
        max_pages: str = "",
        since: str = "",
        refresh_views_days: str = "",
        start_url: str = "",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if start_url:
            profile = generic_profile(start_url.split(), site)
        else:
            profile = load_profile(site or "pasxw")
        self.profile = profile.with_mirror(base_url) if base_url else profile
        self.full = _flag(full)
        self.max_pages = int(max_pages) if max_pages else None
        self.since = parse_publish_time(since).value if since else None
        if since and self.since is None:
            raise ValueError(f"since={since!r} is not a date (use YYYY-MM-DD)")
        self.refresh_views_days = int(refresh_views_days) if refresh_views_days else None
        self.known_urls: set[str] = set()
        self.walked_sections: set[str] = set()
        self.listed: dict[str, set[str]] = {}  # article URLs listed per section in this run

    def open_state(self):
        """The incremental state: the archive, or its Redis mirror in a distributed crawl."""
        reader = self.settings.get("PINGAN_STATE_READER")
        if reader:
            return load_object(reader)(self.settings)
        return ArchiveState(self.settings.get("PINGAN_DB"))

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
                # A section found on the homepage (heuristic sites) is known by its name only.
                section = self.profile.section_named(section_name) or Section(
                    section_name, section_name
                )
                if self.profile.is_article_url(url):
                    self.known_urls.add(url)  # requested here; the list pages need not again
                    yield self.request(url, self.parse_article, section=section)
        for section in self.profile.sections:
            yield self.list_request(section, self.profile.first_page, known_pages=0)

    def list_request(self, section: Section, page: int, known_pages: int, next_page=None):
        url = next_page.url if next_page else self.profile.list_page_url(section, page)
        if self.profile.pagination.style == "discover" and page == self.profile.first_page:
            callback = self.parse_start  # a homepage leads to the section lists
        else:
            callback = self.parse_list
        kwargs = {"section": section, "page": page, "known_pages": known_pages}
        if next_page is not None and next_page.form is not None:
            kwargs["offset"] = next_page.offset
            return scrapy.FormRequest(
                self.profile.to_mirror(url),
                formdata=next_page.form,
                callback=callback,
                errback=self.failed,
                cb_kwargs=kwargs,
                dont_filter=True,  # one proxy URL serves every column, told apart by the form
            )
        if next_page is not None:
            kwargs["offset"] = next_page.offset
        return self.request(url, callback, dont_filter=self.list_pages_dont_filter, **kwargs)

    @property
    def list_pages_dont_filter(self) -> bool:
        """A persistent (distributed) dupefilter must not drop list pages on the next run."""
        return self.settings.getbool("PINGAN_LIST_PAGES_DONT_FILTER")

    def request(
        self, public_url: str, callback, errback=None, dont_filter: bool = False, **cb_kwargs
    ) -> scrapy.Request:
        """Spider logic works on public URLs; only the fetch goes to the mirror, if any."""
        return scrapy.Request(
            self.profile.to_mirror(public_url),
            callback=callback,
            errback=errback or self.failed,
            cb_kwargs=cb_kwargs,
            dont_filter=dont_filter,
        )

    def _too_old(self, date_text: str | None) -> bool:
        if self.since is None or not date_text:
            return False
        listed = parse_publish_time(date_text).value
        return listed is not None and listed < self.since

    def parse_start(self, response: Response, section: Section, page: int, known_pages: int):
        """A start URL of a site with no profile: a list page, or a homepage (its nav links
        become the sections)."""
        from pingan_crawler.parsing.discover import discover_sections

        url = self.profile.to_public(response.url)
        if not is_homepage(url):
            yield from self.parse_list(response, section, page, known_pages)
            return
        yield ListPage(self.profile.name, section.name, page, self.snapshot(response), [])
        for link in discover_sections(response.body, url, content_type_of(response)):
            found = Section(link.url, link.text or link.url)
            yield self.request(
                link.url,
                self.parse_list,
                dont_filter=self.list_pages_dont_filter,
                section=found,
                page=page,
                known_pages=0,
            )

    def parse_list(
        self, response: Response, section: Section, page: int, known_pages: int, offset: int = 0
    ):
        read = read_list_page(
            response.body,
            self.profile.to_public(response.url),
            self.profile,
            section,
            page,
            content_type_of(response),
            offset,
        )
        articles = read.articles
        yield ListPage(self.profile.name, section.name, page, self.snapshot(response), articles)
        listed = self.listed.setdefault(section.name, set())
        new_in_run = [a for a in articles if a.url not in listed]
        listed.update(a.url for a in articles)
        wanted = [
            a for a in new_in_run if a.url not in self.known_urls and not self._too_old(a.date)
        ]
        for link in wanted:
            yield self.request(link.url, self.parse_article, section=section)
        known_pages = known_pages + 1 if articles and not wanted else 0
        stop = self._stop_paging(section, new_in_run, page, known_pages)
        if stop:
            if stop in ("end of list", "known articles"):
                yield SectionWalked(self.profile.name, section.name, stop)
            return
        here = canonical_url(self.profile.to_public(response.url))
        if read.next and read.next.form is None and canonical_url(read.next.url) == here:
            read = replace(read, next=None)  # a pager linking to itself ends the list
        if read.next:
            yield self.list_request(section, page + 1, known_pages, read.next)
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

    def extract(self, response: Response) -> Article:
        return extract_article(
            response.body,
            self.profile.to_public(response.url),
            self.profile,
            content_type_of(response),
        )

    def parse_article(self, response: Response, section: Section, done: tuple = ()):
        """An article page; a multi-page article fetches its later pages one by one first."""
        refusal = self.refusal(response)
        if refusal:  # not an article at all (a soft 404, a PDF, a redirect to the homepage)
            kind, detail = refusal
            yield PageError(
                self.profile.name,
                self.requested_url(response),
                kind,
                detail,
                response.status,
                self.snapshot(response),
            )
            if done:  # a later page of a multi-page article: keep what was read
                yield from self.finish_partial(section, done, self.requested_url(response))
            return
        page = self.extract(response)
        done = (*done, (page, self.snapshot(response, page.charset)))
        following = next_missing_page([page for page, _ in done])
        if following:
            yield self.request(
                following,
                self.parse_article,
                errback=self.later_page_failed,
                section=section,
                done=done,
            )
            return
        yield from self.finish_article(section, done)

    def later_page_failed(self, failure: Failure):
        """A later page that cannot be fetched: store what was read, say what is missing."""
        yield from self.failed(failure)
        kwargs = failure.request.cb_kwargs
        url = self.profile.to_public(failure.request.url)
        yield from self.finish_partial(kwargs["section"], kwargs["done"], url)

    def finish_partial(self, section: Section, done: tuple, missing_url: str):
        first, snap = done[0]
        missing = f"later page {missing_url} could not be fetched"
        first = replace(first, warnings=(*first.warnings, missing), continuations=())
        yield from self.finish_article(section, ((first, snap), *done[1:]))

    def finish_article(self, section: Section, done: tuple):
        pages = [page for page, _ in done]
        snapshots = [snap for _, snap in done]
        article = join_pages(pages[0], pages[1:])
        if article.counter_url and self.profile.views.fetch_counter:
            yield self.request(
                article.counter_url,
                self.parse_counter,
                errback=self.counter_failed,
                section=section,
                article=article,
                snapshots=snapshots,
            )
            return
        yield ArticlePage(
            self.profile.name, section.name, snapshots[0], article, extra_snapshots=snapshots[1:]
        )

    def parse_counter(self, response: Response, section: Section, article: Article, snapshots):
        """The counter's reply (``document.write('N')`` …) is the article's view count."""
        raw = read_counter(response.body, self.profile.view_mode, content_type_of(response))
        counted = replace(
            article,
            view_count=parse_view_count(raw),
            view_count_raw=raw,
            view_method=self.profile.view_mode,
        )
        yield ArticlePage(
            self.profile.name,
            section.name,
            snapshots[0],
            counted,
            extra_snapshots=[*snapshots[1:], self.snapshot(response)],
        )

    def counter_failed(self, failure: Failure):
        """No count is no reason to lose the article: store it without one."""
        yield from self.failed(failure)
        kwargs = failure.request.cb_kwargs
        snapshots = kwargs["snapshots"]
        yield ArticlePage(
            self.profile.name,
            kwargs["section"].name,
            snapshots[0],
            kwargs["article"],
            extra_snapshots=snapshots[1:],
        )

    def requested_url(self, response: Response) -> str:
        """The public URL this response was asked for (before any redirect)."""
        return self.profile.to_public(response.meta.get("redirect_urls", [response.url])[0])

    def refusal(self, response: Response) -> tuple[str, str] | None:
        redirected = bool(response.meta.get("redirect_urls"))
        return page_refusal(
            response.body,
            self.profile.to_public(response.url),
            content_type_of(response),
            self.profile,
            self.requested_url(response) if redirected else None,
        )

    def parse_views(self, response: Response):
        article = self.extract(response)
        if article.counter_url and self.profile.views.fetch_counter:
            yield self.request(article.counter_url, self.parse_counter_views, url=article.url)
            return
        yield ViewReading(
            self.profile.name,
            article.url,
            article.view_count,
            article.view_count_raw,
            "page",
            datetime.now(SHANGHAI),
        )

    def parse_counter_views(self, response: Response, url: str):
        raw = read_counter(response.body, self.profile.view_mode, content_type_of(response))
        yield ViewReading(
            self.profile.name,
            url,
            parse_view_count(raw),
            raw,
            self.profile.view_mode,
            datetime.now(SHANGHAI),
            self.profile.to_public(response.url),
        )

    def snapshot(self, response: Response, charset: str | None = None) -> Snapshot:
        return snapshot_of(response, self.profile.to_public(response.url), charset)

    def failed(self, failure: Failure):
        """A request that failed for good (after retries): one error item, the crawl goes on."""
        if already_handled(failure):
            return
        request = failure.request
        url = self.profile.to_public(request.meta.get("redirect_urls", [request.url])[0])
        report = describe_failure(failure, url)
        response = report.response
        yield PageError(
            self.profile.name,
            url,
            report.kind,
            report.detail,
            response.status if response is not None else None,
            self.snapshot(response) if response is not None else None,
        )
