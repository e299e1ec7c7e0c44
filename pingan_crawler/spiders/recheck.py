"""The recheck spider: looks at archived articles again to find edits, takedowns and restores.

``pingan recheck [SITE…]``, or ``scrapy crawl recheck -a site=SITE [-a all=1]
[-a older_than=7d] [-a since=DATE] [-a max=N] [-a base_url=…]``. Which articles are due comes
from the archive (by age, ``PINGAN_RECHECK_SCHEDULE``); each is asked for with the validators
of its latest fetch (If-None-Match, If-Modified-Since), so an unchanged page costs a 304.

What each answer becomes (the verdicts are parsing/takedown.py's; storage records them):

- 304: seen unchanged (:class:`ArticleUnmodified`);
- 404 / 410, a soft 404 or an empty shell: :class:`ArticleGone`;
- a redirect: not followed blindly. To the homepage, a list page or another article: gone; to
  the article's own canonical URL (or a page that turns out to be the article): followed;
- a page with the article: an :class:`ArticlePage`, which the archive's write path compares
  with the stored version (edited, unchanged, or restored when it had been removed); a page
  that is not the article at all (neither its title nor much of its text: a homepage or
  another article served at its URL) is gone;
- a challenge (412 瑞数, 521 加速乐 …): the middlewares stop the site (exit code 3), nothing
  is judged; a timeout, a 5xx, a dropped connection: an error, and the article stays due.

Before the first article, one list page of the site is fetched: if even that fails, the site
is down or blocking, and no article of it is called gone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from pingan_crawler import errorkinds
from pingan_crawler.crawl.args import RecheckArgs, parse_schedule
from pingan_crawler.crawl.glue import Fetched
from pingan_crawler.items import ArticleGone, ArticlePage, ArticleUnmodified, PageError
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.multipage import join_pages, next_missing_page
from pingan_crawler.parsing.sniff import binary_type, page_refusal
from pingan_crawler.parsing.takedown import moved_article, page_removal, redirect_removal
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.spiders.base import ProfileSpider

REDIRECTS = (301, 302, 303, 307, 308)
# Statuses the recheck reads itself (the rest are errors or challenges, handled as in a crawl).
JUDGED = [304, 404, 410, *REDIRECTS]
MAX_HOPS = 5


def now() -> datetime:
    return datetime.now(SHANGHAI)


class RecheckSpider(ProfileSpider):
    name = "recheck"
    args_type = RecheckArgs
    args: RecheckArgs
    full = False  # recorded with the run, like a crawl's

    async def start(self):
        from pingan_crawler.storage import Archive

        self.archive = Archive(self.settings.get("PINGAN_DB"))
        schedule = parse_schedule(self.settings.get("PINGAN_RECHECK_SCHEDULE"))
        targets = self.archive.articles.due_for_recheck(
            self.profile.name,
            now(),
            schedule,
            every=self.args.every,
            older_than=self.args.older_than,
            since=self.args.since,
        )
        stats = self.crawler.stats
        stats.set_value("recheck/due", len(targets))
        if self.args.max_articles is not None:
            targets = targets[: self.args.max_articles]
        stats.set_value("recheck/asked", len(targets))
        if not targets:
            return
        probe = self.archive.articles.busiest_list_page(self.profile.name)
        if probe and self.settings.getbool("PINGAN_RECHECK_PROBE"):
            yield self.request(
                probe,
                self.parse_probe,
                errback=self.probe_failed,
                dont_filter=True,
                targets=targets,
            )
            return
        for target in targets:
            yield self.recheck_request(target)

    def closed(self, _reason: str) -> None:
        archive = getattr(self, "archive", None)
        if archive is not None:
            archive.close()

    # -- the site is up? -------------------------------------------------------------------------
    def parse_probe(self, response: Response, targets: list):
        page = self.fetched(response)
        refusal = page_refusal(page.body, page.url, page.content_type, self.profile)
        if refusal:
            yield self.site_down(page.url, f"{refusal[1]}", page.status, page)
            return
        for target in targets:
            yield self.recheck_request(target)

    def probe_failed(self, failure: Failure):
        for error in self.failed(failure):
            error.detail += "; the site looks down, so no article was rechecked (try later)"
            yield error

    def site_down(self, url: str, detail: str, status: int, page: Fetched) -> PageError:
        return PageError(
            self.profile.name,
            url,
            errorkinds.SOFT_404,
            f"{detail}; the site's list page is not answering, so no article was rechecked",
            status,
            page.snapshot(),
        )

    # -- one article -----------------------------------------------------------------------------
    def recheck_request(self, target) -> scrapy.Request:
        """The article's URL asked with its latest fetch's validators, redirects not followed."""
        etag, last_modified = self.archive.articles.validators(target.article_id)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._request(target.url, target, headers=headers)

    def _request(self, url: str, target, headers=None, hops: tuple = (), **kwargs):
        return scrapy.Request(
            self.profile.to_mirror(url),
            headers=headers or {},
            callback=self.parse_recheck,
            errback=self.failed,
            cb_kwargs={"target": target, "hops": hops, **kwargs},
            dont_filter=True,
            meta={"dont_redirect": True, "handle_httpstatus_list": JUDGED},
        )

    def parse_recheck(self, response: Response, target, hops: tuple, first_status=None):
        page = self.fetched(response)
        status = first_status or page.status
        if page.status == 304:
            self.judged()
            yield ArticleUnmodified(self.profile.name, target.url, now(), page.status)
        elif page.status in (404, 410):
            yield self.gone(target, f"HTTP {page.status} at {page.url}", page.status, page)
        elif page.status in REDIRECTS:
            yield from self.redirected(page, target, hops, status)
        else:
            yield from self.read_page(page, target, hops, status)

    def redirected(self, page: Fetched, target, hops: tuple, status: int):
        location = page.headers.get("Location") or page.headers.get("location") or [""]
        to = self.profile.to_public(urljoin(page.fetched_url, location[0]))
        if not location[0] or len(hops) >= MAX_HOPS:
            yield self.error(target, errorkinds.REDIRECT_LOOP, f"{page.url}: redirects without end")
            return
        other = self.archive.articles.id_of(canonical_url(to))
        verdict = redirect_removal(
            target.url,
            to,
            self.profile,
            another_article=other is not None and other != target.article_id,
            list_page=self.archive.articles.is_list_page(self.profile.name, canonical_url(to)),
        )
        if verdict:
            yield self.gone(target, verdict, status, page)
            return
        yield self._request(to, target, hops=(*hops, to), first_status=status)

    def read_page(self, page: Fetched, target, hops: tuple, status: int, done: tuple = ()):
        """A page answered 200: gone (a notice, an empty shell, another page a redirect led
        to), or the article, to compare with the stored version."""
        if binary_type(page.body):
            detail = f"{page.url}: now a {binary_type(page.body)}, not a page; not judged"
            yield self.error(target, errorkinds.NOT_HTML, detail, page)
            return
        decoded = decode_html(page.body, page.content_type, override=self.profile.charset)
        article = extract_article(
            page.body, page.url, self.profile, page.content_type, decoded=decoded
        )
        if not done:
            readable = not article.missing or self.old_page_readable(target, page, article)
            verdict = page_removal(
                page.body, page.url, page.content_type, self.profile, decoded, article, readable
            )
            if verdict:
                yield self.gone(target, verdict, status, page)
                return
            if not article.missing and not self.is_the_article(target, article):
                what = f"redirected to {page.url}" if hops else f"{page.url} now shows"
                detail = f"{what} another page ({article.title!r})"
                yield self.gone(target, detail, status, page)
                return
        done = (*done, (article, page.snapshot(article.charset)))
        following = next_missing_page([part for part, _ in done])
        if following:  # a multi-page article is compared whole, as it was stored
            yield scrapy.Request(
                self.profile.to_mirror(following),
                callback=self.parse_later_page,
                errback=self.failed,
                cb_kwargs={"target": target, "hops": hops, "status": status, "done": done},
                dont_filter=True,
            )
            return
        first, *later = [part for part, _ in done]
        if not first.missing:  # else the write path keeps it as an error, not judged
            self.judged()
        whole = replace(join_pages(first, later), url=target.url)  # stored under its own URL
        snapshots = [snap for _, snap in done]
        yield ArticlePage(
            self.profile.name, None, snapshots[0], whole, extra_snapshots=snapshots[1:]
        )

    def parse_later_page(self, response: Response, target, hops, status, done):
        yield from self.read_page(self.fetched(response), target, hops, status, done)

    def old_page_readable(self, target, page: Fetched, article) -> bool:
        """Whether today's parser finds title and body in the article's stored page (if not,
        a page without them now says nothing about the site)."""
        from pingan_crawler.storage.items import reread_current

        probe = ArticlePage(
            self.profile.name, None, page.snapshot(), replace(article, url=target.url)
        )
        probe.canonical_url = target.url
        old = reread_current(self.archive, probe)
        return old is None or bool(old.title and old.body)

    def is_the_article(self, target, landing) -> bool:
        stored = self.archive.articles.current(target.article_id) or {}
        return moved_article(stored.get("title"), stored.get("body") or "", landing)

    # -- items -----------------------------------------------------------------------------------
    def judged(self) -> None:
        self.crawler.stats.inc_value("recheck/judged")

    def gone(self, target, detail: str, status: int, page: Fetched) -> ArticleGone:
        self.judged()
        return ArticleGone(self.profile.name, target.url, detail, status, now(), page.snapshot())

    def error(self, target, kind: str, detail: str, page: Fetched | None = None) -> PageError:
        snapshot = page.snapshot() if page is not None else None
        status = page.status if page is not None else None
        return PageError(self.profile.name, target.url, kind, detail, status, snapshot)

    @staticmethod
    def progress_line(stats: dict) -> str:
        """What a terminal shows while a recheck runs."""
        get = stats.get
        return (
            f"rechecked {get('recheck/judged', 0)} of {get('recheck/asked', 0)} · edited "
            f"{get('archive/updated', 0)} · removed {get('archive/removed', 0)} · restored "
            f"{get('archive/restored', 0)} · errors {get('archive/errors', 0)}"
        )
