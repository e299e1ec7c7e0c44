"""Item pipelines, one job each: validate → dedup → store, each a call of storage/items.py."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pingan_crawler.items import ArticlePage
from pingan_crawler.session import WriteFailed, write_item
from pingan_crawler.storage import Outcome, identify, validate


class _CrawlerPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)


class ValidatePipeline(_CrawlerPipeline):
    """A page without a title or a body is not an article: it becomes an error, snapshot kept."""

    def process_item(self, item):
        checked = validate(item)
        if checked is not item:
            self.stats.inc_value("archive/rejected")
        return checked


class DedupPipeline(_CrawlerPipeline):
    """Give each article its identity (canonical URL, body hash); drop repeats within a run."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.seen_urls: set[str] = set()

    def process_item(self, item):
        identify(item)
        if isinstance(item, ArticlePage):
            if item.canonical_url in self.seen_urls:
                self.stats.inc_value(Outcome.REPEAT.stat_keys[0])
                raise DropItem(f"already stored in this run: {item.canonical_url}")
            self.seen_urls.add(item.canonical_url)
        return item


class StorePipeline(_CrawlerPipeline):
    """Write every item to the archive in its own transaction; count outcomes in the stats.
    A failed write stops the crawl (:func:`pingan_crawler.session.write_item`)."""

    def process_item(self, item):
        try:
            outcome = write_item(self.crawler, item)
        except WriteFailed as exc:
            raise DropItem(f"not stored, the archive cannot be written: {exc}") from None
        for key in outcome.stat_keys:
            self.stats.inc_value(key)
        if isinstance(item, ArticlePage) and item.article.warnings:
            self.stats.inc_value("archive/warnings", len(item.article.warnings))
        return item
