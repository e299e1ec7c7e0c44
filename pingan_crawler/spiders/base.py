"""What every spider over a site profile shares: its arguments, requests by public URL, the
archive's incremental state, and failed requests turned into error items."""

from __future__ import annotations

import inspect
import os
import sys
from typing import ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from pingan_crawler.crawl.args import CrawlArgs, RecheckArgs, RefreshArgs
from pingan_crawler.crawl.glue import Fetched, fetched, first_requested_url
from pingan_crawler.failures import already_handled, describe_failure
from pingan_crawler.items import PageError
from pingan_crawler.parsing.counters import read_counter
from pingan_crawler.parsing.meta import parse_view_count


def _scrapy_command_line() -> bool:
    """Is this process ``scrapy crawl …`` (and not a program that runs Scrapy itself)?"""
    return "scrapy.commands.crawl" in sys.modules


class ProfileSpider(scrapy.Spider):
    """A spider over one site profile.

    Its arguments come as one frozen dataclass (``args=``, from :func:`run_crawls`) or as the
    strings of ``scrapy crawl NAME -a key=value``, parsed once here into the same dataclass.
    Spider logic works on public URLs; only the fetch goes to the mirror, if any.
    """

    args_type: ClassVar[type[CrawlArgs] | type[RefreshArgs] | type[RecheckArgs]]

    def __init__(self, args: CrawlArgs | RefreshArgs | RecheckArgs | None = None, **kwargs):
        if args is None:
            names = inspect.signature(self.args_type.from_strings).parameters
            strings = {name: kwargs.pop(name) for name in list(kwargs) if name in names}
            self.check_strings(kwargs)
            args = self.args_type.from_strings(**strings)
        super().__init__(**kwargs)
        self.args = args
        self.profile = args.profile
        self.requests_made = 0  # requests this spider asked for (caps count them)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args, **kwargs):
        """The spider, with loopback speed when its site is fetched from this machine.

        ``scrapy crawl`` with a bad ``-a`` value ends here with one line and exit code 2,
        before anything is opened or fetched (Scrapy would print an asyncio traceback).
        """
        from pingan_crawler.crawl.run import is_loopback, loopback_settings
        from pingan_crawler.sites import ProfileError

        try:
            spider = super().from_crawler(crawler, *args, **kwargs)
        except (ProfileError, ValueError) as exc:
            if not _scrapy_command_line():
                raise
            print(f"scrapy crawl {cls.name}: {exc}", file=sys.stderr, flush=True)
            os._exit(2)  # the reactor is not running yet: nothing to close or finish
        fetched_from = spider.profile.mirror_url or spider.profile.base_url
        if is_loopback(fetched_from) and not crawler.settings.frozen:
            for name, value in loopback_settings(fetched_from).items():
                crawler.settings.set(name, value, priority="spider")  # -s still wins
        return spider

    @property
    def config(self) -> BaseSettings:
        """The crawler's settings (the project's defaults for a spider made without one)."""
        if getattr(self, "settings", None) is None:
            defaults = Settings()
            defaults.setmodule("pingan_crawler.settings", priority="project")
            self.settings = defaults
        return self.settings

    def count(self, key: str, value: int = 1) -> None:
        """Add to a crawl stat (``archive/…``), which the summary line reads."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.stats.inc_value(key, value)

    def check_strings(self, others: dict) -> None:
        """Refuse ``-a`` arguments this spider used to take but no longer does."""

    def open_state(self):
        """The incremental state: the archive, or its Redis mirror in a distributed crawl."""
        reader = self.settings.get("PINGAN_STATE_READER")
        if reader:
            return load_object(reader)(self.settings)
        from pingan_crawler.storage import ArchiveState

        return ArchiveState(self.settings.get("PINGAN_DB"))

    def request(
        self,
        public_url: str,
        callback,
        errback=None,
        dont_filter: bool = False,
        meta: dict | None = None,
        priority: int = 0,
        **cb_kwargs,
    ) -> scrapy.Request:
        self.requests_made += 1
        return scrapy.Request(
            self.profile.to_mirror(public_url),
            callback=callback,
            errback=errback or self.failed,
            cb_kwargs=cb_kwargs,
            dont_filter=dont_filter,
            meta=meta,
            priority=priority,
        )

    def fetched(self, response: Response) -> Fetched:
        """The response read once: its public URLs, headers and body."""
        return fetched(response, self.profile.to_public)

    def read_count(self, page: Fetched) -> tuple[str | None, int | None]:
        """A view counter's reply (``document.write('N')`` …): the raw text and the count."""
        raw = read_counter(page.body, self.profile.view_mode, page.content_type)
        return raw, parse_view_count(raw)

    def failed(self, failure: Failure):
        """A request that failed for good (after retries): one error item, the crawl goes on."""
        if already_handled(failure):
            return
        url = self.profile.to_public(first_requested_url(failure.request))
        report = describe_failure(failure, url)
        response = report.response
        yield PageError(
            self.profile.name,
            url,
            report.kind,
            report.detail,
            response.status if response is not None else None,
            self.fetched(response).snapshot() if response is not None else None,
        )
