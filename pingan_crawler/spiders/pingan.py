"""The crawling spider: walks a profile's section lists page by page and fetches each article.

``scrapy crawl pingan -a site=pasxw [-a base_url=http://127.0.0.1:PORT] [-a full=1]
[-a max_pages=N] [-a since=2021-01-01]``, or for a site with no profile ``scrapy crawl pingan
-a start_url=URL`` (several URLs separated by spaces): each is a section list page, or a
homepage whose nav leads to them. The strings become one :class:`CrawlArgs` before the spider
starts; ``pingan crawl`` builds the same dataclass from its options. View counts are read again
by its own spider (:mod:`pingan_crawler.spiders.views`).

How a list goes on (``?page=N`` links, TRS ``createPageHTML``, Hanweb dataproxy POSTs, found by
heuristics) is read by :func:`read_list_page`; multi-page articles are fetched page by page and
joined; view counters are fetched only when the profile opts in.

Incremental by default: the archive is the record of what is done. List pages are always
fetched; articles already archived are not; a section stops paging after
``PINGAN_STOP_AFTER_KNOWN_PAGES`` list pages in a row that hold only known articles.

Bounded against traps (docs/crawl-side.md, "Traps"): each article URL is asked for once per
run; a section's next list page is asked for once the articles of this one are done
(:class:`ListBatch`), so paging stops at a page that brought nothing new (every article a
body already seen under another URL: an endless calendar, fresh session ids); deeper pages
wait behind shallower ones of every section (request priority), so no section starves the
others; crawls by heuristics have caps on list pages per section and requests per site; a
multi-page article is joined from at most ``PINGAN_MAX_ARTICLE_PAGES`` pages.

Each response is read once (:meth:`fetched`: public URL, headers, body) and an article page is
decoded once, the decoded text going to both the refusal checks and the extractor.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from pingan_crawler import errorkinds
from pingan_crawler.crawl.args import CrawlArgs
from pingan_crawler.crawl.glue import Fetched
from pingan_crawler.items import ArticlePage, ListPage, PageError, SectionWalked, Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.listing import NextPage, is_homepage, read_list_page
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.multipage import (
    cut_warning,
    join_pages,
    next_missing_page,
    repeats_earlier_page,
)
from pingan_crawler.parsing.sniff import page_refusal
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites import Section
from pingan_crawler.spiders.base import ProfileSpider
from pingan_crawler.storage.articles import MIN_DEDUP_BODY_CHARS
from pingan_crawler.storage.common import content_hash

logger = logging.getLogger(__name__)
BATCH = "pingan_batch"  # request meta: the list page (ListBatch id) an article came from
HEURISTIC = "pingan_heuristic"  # request meta: a list page found by heuristics, not given
# Outcomes of one article for its list page.
FRESH, REPEAT, FAILED = "fresh", "repeat", "failed"
# Why paging stops: only these mark a section as walked (it may stop early next time).
WALKED_REASONS = ("end of list", "known articles", "nothing new")


@dataclass
class ListBatch:
    """One list page's articles in flight; when the last is done, paging goes on or stops."""

    section: Section
    page: int
    known_pages: int
    stop: str  # why paging stops at this page already ("" to go on)
    next: NextPage | None
    pending: int = 0
    fresh: int = 0  # articles whose body is new to this run
    repeats: int = 0  # articles whose body this run already has (under another URL)
    failed: int = 0  # articles that failed or were refused


class PinganSpider(ProfileSpider):
    name = "pingan"
    args_type = CrawlArgs
    args: CrawlArgs

    def __init__(self, args: CrawlArgs | None = None, **kwargs):
        super().__init__(args, **kwargs)
        self.full = self.args.full
        self.max_pages = self.args.max_pages
        self.since = self.args.since
        self.known_urls: set[str] = set()
        self.walked_sections: set[str] = set()
        self.listed: dict[str, set[str]] = {}  # article URLs listed per section in this run
        self.requested: set[str] = set()  # article and list URLs asked for in this run
        self.bodies: set[str] = set()  # content hashes of the articles read in this run
        self.batches: dict[int, ListBatch] = {}
        self._batch_ids = itertools.count(1)
        self.failing_pages: dict[str, int] = {}  # list pages in a row whose articles all failed
        self.heuristic = self.profile.pagination.style == "discover"

    def check_strings(self, others: dict) -> None:
        if "refresh_views_days" in others:
            raise ValueError(
                "refresh_views_days: view counts are read by their own spider now: "
                "scrapy crawl refresh-views -a site=SITE -a days=N"
            )

    async def start(self):
        if not self.full:
            archive = self.open_state()
            try:
                self.known_urls = archive.known_article_urls(self.profile.name)
                self.walked_sections = archive.walked_sections(self.profile.name)
                leftovers = archive.listed_not_archived(self.profile.name)
            finally:
                archive.close()
            # Articles listed by an earlier run but never stored (killed, failed): fetch now.
            for url, section_name in leftovers:
                # A section found on the homepage (heuristic sites) is known by its name only.
                section = self.profile.section_named(section_name) or Section(
                    section_name, section_name
                )
                if self.profile.is_article_url(url) and url not in self.requested:
                    self.known_urls.add(url)  # requested here; the list pages need not again
                    self.requested.add(url)
                    yield self.article_request(url, section)
        for section in self.profile.sections:
            yield self.list_request(section, self.profile.first_page, known_pages=0)

    def list_request(
        self, section: Section, page: int, known_pages: int, next_page=None, heuristic=False
    ):
        url = next_page.url if next_page else self.profile.list_page_url(section, page)
        self.requested.add(canonical_url(url))  # a list page is never asked for as an article
        if self.profile.pagination.style == "discover" and page == self.profile.first_page:
            callback = self.parse_start  # a homepage leads to the section lists
        else:
            callback = self.parse_list
        kwargs = {"section": section, "page": page, "known_pages": known_pages}
        # Deeper list pages wait behind the shallower pages (and their articles) of every
        # section: one endless section cannot starve the others.
        priority = -2 * (page - self.profile.first_page)
        meta = {HEURISTIC: True} if heuristic else None
        if next_page is not None and next_page.form is not None:
            kwargs["offset"] = next_page.offset
            self.requests_made += 1
            return scrapy.FormRequest(
                self.profile.to_mirror(url),
                formdata=next_page.form,
                callback=callback,
                errback=self.list_failed,
                cb_kwargs=kwargs,
                dont_filter=True,  # one proxy URL serves every column, told apart by the form
                priority=priority,
                meta=meta,
            )
        if next_page is not None:
            kwargs["offset"] = next_page.offset
        return self.request(
            url,
            callback,
            errback=self.list_failed,
            dont_filter=self.list_pages_dont_filter,
            meta=meta,
            priority=priority,
            **kwargs,
        )

    def article_request(self, url: str, section: Section, batch: int = 0, page: int = 0):
        """An article of list page ``page`` (0-based): before that section's next list page.

        Asked for once per run (:attr:`requested`), so locally it bypasses the duplicate
        filter, which would drop a repeat without a word and leave its list page waiting.
        """
        return self.request(
            url,
            self.parse_article,
            errback=self.article_failed,
            dont_filter=self.page_after_articles,
            meta={BATCH: batch} if batch else None,
            priority=-2 * page - 1,
            section=section,
        )

    @property
    def list_pages_dont_filter(self) -> bool:
        """A persistent (distributed) dupefilter must not drop list pages on the next run."""
        return self.config.getbool("PINGAN_LIST_PAGES_DONT_FILTER")

    @property
    def page_after_articles(self) -> bool:
        """Ask for a section's next list page only once this page's articles are done (not
        in a distributed crawl, where another worker may fetch them)."""
        return self.config.getbool("PINGAN_PAGE_AFTER_ARTICLES")

    def may_request(self) -> bool:
        """Within the per-site request cap of heuristic crawls (the summary says when hit)."""
        cap = self.config.getint("PINGAN_HEURISTIC_MAX_REQUESTS")
        if not self.heuristic or cap <= 0 or self.requests_made < cap:
            return True
        stats = self.crawler.stats
        if not stats.get_value("archive/capped/requests"):
            stats.set_value("archive/capped/requests", cap)
            logger.warning(
                "%s: %d requests, the cap of a crawl by heuristics "
                "(PINGAN_HEURISTIC_MAX_REQUESTS): asking for nothing more",
                self.profile.name,
                cap,
            )
        return False

    def _too_old(self, date_text: str | None) -> bool:
        if self.since is None or not date_text:
            return False
        listed = parse_publish_time(date_text).value
        return listed is not None and listed < self.since

    def parse_start(self, response: Response, section: Section, page: int, known_pages: int):
        """A start URL of a site with no profile: a list page, or a homepage (its nav links
        become the sections)."""
        from pingan_crawler.parsing.discover import discover_sections

        page_read = self.fetched(response)
        if not is_homepage(page_read.url):
            yield from self._list(page_read, section, page, known_pages)
            return
        yield ListPage(self.profile.name, section.name, page, page_read.snapshot(), [])
        for link in discover_sections(page_read.body, page_read.url, page_read.content_type):
            if not self.may_request():
                break
            found = Section(link.url, link.text or link.url)
            # A nav link found by heuristics: if it fails, that is a warning, not a failed run.
            request = self.list_request(found, page, 0, NextPage(link.url), heuristic=True)
            yield request.replace(callback=self.parse_list)

    def parse_list(
        self, response: Response, section: Section, page: int, known_pages: int, offset: int = 0
    ):
        yield from self._list(self.fetched(response), section, page, known_pages, offset)

    def _list(self, fetched: Fetched, section: Section, page: int, known_pages: int, offset=0):
        read = read_list_page(
            fetched.body,
            fetched.url,
            self.profile,
            section,
            page,
            fetched.content_type,
            offset,
        )
        articles = read.articles
        yield ListPage(self.profile.name, section.name, page, fetched.snapshot(), articles)
        listed = self.listed.setdefault(section.name, set())
        new_in_run = [a for a in articles if a.url not in listed]
        listed.update(a.url for a in articles)
        unknown = [
            a for a in new_in_run if a.url not in self.known_urls and not self._too_old(a.date)
        ]
        known_pages = known_pages + 1 if articles and not unknown else 0
        here = canonical_url(fetched.url)
        following = read.next
        if following and following.form is None and canonical_url(following.url) == here:
            following = None  # a pager linking to itself ends the list
        batch = ListBatch(
            section,
            page,
            known_pages,
            self._stop_paging(section, new_in_run, page, known_pages),
            following,
        )
        batch_id = next(self._batch_ids)
        depth = page - self.profile.first_page
        for link in unknown:
            if link.url in self.requested:  # another section (or page) asked for it already
                continue
            if not self.may_request():
                break
            self.requested.add(link.url)
            batch.pending += 1
            yield self.article_request(link.url, section, batch_id, depth)
        if batch.pending and self.page_after_articles:
            self.batches[batch_id] = batch  # goes on when its last article is done
            return
        yield from self._go_on(batch)

    def _go_on(self, batch: ListBatch):
        """After a list page (and its articles): its next page, or why paging stops here."""
        section = batch.section
        stop = batch.stop
        if not stop and batch.repeats and not batch.fresh:
            stop = "nothing new"  # every article was a body this run already has
            self.count("archive/stopped/nothing_new")
        if not stop and batch.failed and not batch.fresh and not batch.repeats:
            failing = self.failing_pages[section.name] = self.failing_pages.get(section.name, 0) + 1
            limit = self.config.getint("PINGAN_STOP_AFTER_FAILED_PAGES")
            if limit > 0 and failing >= limit:
                stop = "articles failed"
                self.count("archive/stopped/failing")
        elif batch.fresh or batch.repeats:
            self.failing_pages[section.name] = 0
        if not stop and batch.next is None:
            stop = "end of list"
        if stop == "page cap":
            self.count("archive/capped/list_pages")
            logger.warning(
                "%s: section %s stopped at %d list pages, the cap of a crawl by heuristics "
                "(PINGAN_HEURISTIC_MAX_LIST_PAGES)",
                self.profile.name,
                section.name,
                batch.page - self.profile.first_page + 1,
            )
        if stop:
            if stop in WALKED_REASONS:
                yield SectionWalked(self.profile.name, section.name, stop)
            return
        if self.may_request():
            yield self.list_request(
                section, batch.page + 1, batch.known_pages, batch.next, heuristic=self.heuristic
            )

    def _article_done(self, meta: dict, outcome: str):
        """One article of a list page is done (stored, refused or failed): when it was the
        page's last, paging goes on (:meth:`_go_on`)."""
        batch_id = meta.get(BATCH)
        batch = self.batches.get(batch_id)
        if batch is None:
            return
        if outcome == FRESH:
            batch.fresh += 1
        elif outcome == REPEAT:
            batch.repeats += 1
        else:
            batch.failed += 1
        batch.pending -= 1
        if batch.pending <= 0:
            del self.batches[batch_id]
            yield from self._go_on(batch)

    def list_failed(self, failure: Failure):
        """A list page that failed: an error row; a warning only, when heuristics found it."""
        if failure.request.meta.get(HEURISTIC):
            self.count("archive/warnings/heuristic")
        yield from self.failed(failure)

    def article_failed(self, failure: Failure):
        yield from self.failed(failure)
        yield from self._article_done(failure.request.meta, FAILED)

    def _stop_paging(self, section: Section, articles, page: int, known_pages: int) -> str:
        """Why paging of this section stops here ("" to go on)."""
        if not articles:
            return "end of list"  # an empty or stub page ends the list
        pages_walked = page - self.profile.first_page + 1
        if self.max_pages is not None and pages_walked >= self.max_pages:
            return "max pages"
        cap = self.config.getint("PINGAN_HEURISTIC_MAX_LIST_PAGES")
        if self.max_pages is None and self.heuristic and 0 < cap <= pages_walked:
            return "page cap"
        dated = [a for a in articles if a.date]
        if self.since is not None and dated and all(self._too_old(a.date) for a in dated):
            return "since"  # the list is newest-first and this page is all before --since
        stop_after = self.config.getint("PINGAN_STOP_AFTER_KNOWN_PAGES")
        if (
            not self.full
            and stop_after > 0
            and known_pages >= stop_after
            and section.name in self.walked_sections
        ):
            return "known articles"
        return ""

    def parse_article(self, response: Response, section: Section, done: tuple = ()):
        """An article page; a multi-page article fetches its later pages one by one first.

        The page is read and decoded once; the refusal checks and the extractor share it. A
        parser that raises costs this page only: an error row with its snapshot.
        """
        try:
            yield from self._parse_article(response, section, done)
        except Exception as exc:
            logger.exception("parsing %s failed", response.url)
            page = self.fetched(response)
            yield PageError(
                self.profile.name,
                page.requested_url,
                errorkinds.PARSE_ERROR,
                f"{page.requested_url}: the parser raised {type(exc).__name__}: {exc}; the "
                f"page is kept as a snapshot, please report it",
                page.status,
                page.snapshot(),
            )
            yield from self._article_done(response.meta, FAILED)

    def _parse_article(self, response: Response, section: Section, done: tuple):
        fetched = self.fetched(response)
        decoded = decode_html(fetched.body, fetched.content_type, override=self.profile.charset)
        refusal = page_refusal(
            fetched.body,
            fetched.url,
            fetched.content_type,
            self.profile,
            fetched.requested_url if fetched.redirected else None,
            decoded=decoded,
        )
        if refusal:  # not an article at all (a soft 404, a PDF, a redirect to the homepage)
            kind, detail = refusal
            yield PageError(
                self.profile.name,
                fetched.requested_url,
                kind,
                detail,
                fetched.status,
                fetched.snapshot(),
            )
            if done:  # a later page of a multi-page article: keep what was read
                yield from self.finish_partial(section, done, fetched.requested_url, response)
            else:
                yield from self._article_done(response.meta, FAILED)
            return
        page = extract_article(
            fetched.body, fetched.url, self.profile, fetched.content_type, decoded=decoded
        )
        done = (*done, (page, fetched.snapshot(page.charset)))
        pages = [page for page, _ in done]
        if len(pages) > 1 and (earlier := repeats_earlier_page(pages)) is not None:
            # A pager serving one page under many numbers: the article ends before the repeat.
            first, snap = done[0]
            note = f"later page {page.url} repeats {earlier.url}: the article ends there"
            done = ((replace(first, warnings=(*first.warnings, note)), snap), *done[1:-1])
            yield from self.finish_article(section, done, response.meta)
            return
        limit = max(1, self.config.getint("PINGAN_MAX_ARTICLE_PAGES"))
        following = next_missing_page(pages, limit)
        if following:
            yield self.request(
                following,
                self.parse_article,
                errback=self.later_page_failed,
                dont_filter=True,  # asked for once, as part of this article
                meta=response.meta.get(BATCH) and {BATCH: response.meta[BATCH]},
                priority=response.request.priority if response.request else 0,
                section=section,
                done=done,
            )
            return
        if cut := cut_warning(pages, limit):
            self.count("archive/capped/article_pages")
            first, snap = done[0]
            done = ((replace(first, warnings=(*first.warnings, cut)), snap), *done[1:])
        yield from self.finish_article(section, done, response.meta)

    def later_page_failed(self, failure: Failure):
        """A later page that cannot be fetched: store what was read, say what is missing."""
        yield from self.failed(failure)
        kwargs = failure.request.cb_kwargs
        url = self.profile.to_public(failure.request.url)
        yield from self.finish_partial(kwargs["section"], kwargs["done"], url, failure.request)

    def finish_partial(self, section: Section, done: tuple, missing_url: str, source):
        first, snap = done[0]
        missing = f"later page {missing_url} could not be fetched"
        first = replace(first, warnings=(*first.warnings, missing), continuations=())
        yield from self.finish_article(section, ((first, snap), *done[1:]), source.meta)

    @staticmethod
    def body_key(article: Article) -> str:
        """What makes an article the same as another for paging: its body, as the archive
        compares bodies; a short body (one line of 详见附件) with its title, so that notices
        sharing one stock sentence still count as new."""
        if len(article.body) >= MIN_DEDUP_BODY_CHARS:
            return content_hash(article.body)
        return content_hash(f"{article.title}\n{article.body}")

    def finish_article(self, section: Section, done: tuple, meta: dict | None = None):
        pages = [page for page, _ in done]
        snapshots = [snap for _, snap in done]
        article = join_pages(pages[0], pages[1:])
        body_hash = self.body_key(article)
        outcome = REPEAT if body_hash in self.bodies else FRESH
        self.bodies.add(body_hash)
        meta = meta or {}
        if article.counter_url and self.profile.views.fetch_counter:
            yield self.request(
                article.counter_url,
                self.parse_counter,
                errback=self.counter_failed,
                dont_filter=True,
                meta={BATCH: meta.get(BATCH), "pingan_outcome": outcome},
                section=section,
                article=article,
                snapshots=snapshots,
            )
            return
        yield ArticlePage(
            self.profile.name, section.name, snapshots[0], article, extra_snapshots=snapshots[1:]
        )
        yield from self._article_done(meta, outcome)

    def parse_counter(
        self, response: Response, section: Section, article: Article, snapshots: list[Snapshot]
    ):
        """The counter's reply (``document.write('N')`` …) is the article's view count."""
        fetched = self.fetched(response)
        raw, count = self.read_count(fetched)
        counted = replace(
            article, view_count=count, view_count_raw=raw, view_method=self.profile.view_mode
        )
        yield ArticlePage(
            self.profile.name,
            section.name,
            snapshots[0],
            counted,
            extra_snapshots=[*snapshots[1:], fetched.snapshot()],
        )
        yield from self._article_done(response.meta, response.meta.get("pingan_outcome", FRESH))

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
        meta = failure.request.meta
        yield from self._article_done(meta, meta.get("pingan_outcome", FRESH))
