"""What every spider over a site profile shares: its arguments, requests by public URL, the
archive's incremental state, and failed requests turned into error items."""

from __future__ import annotations

import inspect
from typing import ClassVar

import scrapy
from scrapy.http import Response
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from pingan_crawler.crawl.args import CrawlArgs, RecheckArgs, RefreshArgs
from pingan_crawler.crawl.glue import Fetched, fetched, first_requested_url
from pingan_crawler.failures import already_handled, describe_failure
from pingan_crawler.items import PageError
from pingan_crawler.parsing.counters import read_counter
from pingan_crawler.parsing.meta import parse_view_count


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
        self, public_url: str, callback, errback=None, dont_filter: bool = False, **cb_kwargs
    ) -> scrapy.Request:
        return scrapy.Request(
            self.profile.to_mirror(public_url),
            callback=callback,
            errback=errback or self.failed,
            cb_kwargs=cb_kwargs,
            dont_filter=dont_filter,
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
