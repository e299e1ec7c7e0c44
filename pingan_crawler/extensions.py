"""Scrapy extensions: the crawl's record in the archive, and progress lines for people."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pingan_crawler import errorkinds
from pingan_crawler.items import PageError
from pingan_crawler.session import end_session, record_page_error, session_for
from pingan_crawler.shutdown import on_forced_stop


class CrawlRecord:
    """One ``crawls`` row per run, and an ``errors`` row for each failed request."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        on_forced_stop(crawler, lambda: end_session(crawler, "shutdown"))

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        session_for(self.crawler)

    def spider_error(self, failure: Failure, response, spider) -> None:
        kind = errorkinds.HTTP_STATUS if failure.check(HttpError) else errorkinds.PARSE_ERROR
        site = getattr(getattr(spider, "profile", None), "name", "") or ""
        error = PageError(site, response.url, kind, failure.getErrorMessage(), response.status)
        record_page_error(self.crawler, error)
        self.crawler.stats.inc_value("archive/errors")

    def spider_closed(self, spider, reason: str) -> None:
        end_session(self.crawler, reason)
        if self.crawler.settings.getbool("PINGAN_SUMMARY_ON_CLOSE"):
            print(summary_line(spider, {**self.crawler.stats.get_stats(), "finish_reason": reason}))


def summary_line(spider, stats: dict) -> str:
    """The summary ``pingan crawl`` prints, for ``scrapy crawl`` (stats read at closing)."""
    from pingan_crawler.crawl.summary import summary, views_summary

    profile = spider.profile
    db = spider.settings.get("PINGAN_DB")
    if spider.name == "pingan":
        return summary(profile.name, len(profile.sections), stats, db)
    return views_summary(profile.name, stats, db)


class Progress:
    """A progress line every few seconds and a summary at the end, on stderr."""

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.last = 0.0
        crawler.signals.connect(self.tick, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler, crawler.settings.getfloat("PINGAN_PROGRESS_INTERVAL"))

    def tick(self, **_kwargs) -> None:
        if self.interval <= 0 or time.monotonic() - self.last < self.interval:
            return
        self.last = time.monotonic()
        line = getattr(self.crawler.spider, "progress_line", progress_line)  # a spider's own
        print(line(self.crawler.stats.get_stats()), file=sys.stderr, flush=True)


def progress_line(stats: dict) -> str:
    get = stats.get
    return (
        f"pages fetched {get('response_received_count', 0)} · list pages "
        f"{get('archive/list_pages', 0)} · new articles {get('archive/new', 0)} · "
        f"duplicates merged {get('archive/duplicate', 0)} · errors {get('archive/errors', 0)}"
    )
