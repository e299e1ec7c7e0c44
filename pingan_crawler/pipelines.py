"""Item pipelines, one job each: validate → dedup → store."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pingan_crawler import errorkinds
from pingan_crawler.items import ArticlePage, ListPage, PageError, SectionWalked, ViewReading
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.session import session_for
from pingan_crawler.storage import content_hash


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
        if isinstance(item, ArticlePage) and item.article.missing:
            self.stats.inc_value("archive/rejected")
            missing = " and ".join(item.article.missing)
            return PageError(
                item.site,
                item.snapshot.url,
                kind=errorkinds.NOT_AN_ARTICLE,
                detail=(
                    f"{item.snapshot.url}: page has no {missing} (an empty shell, a page of "
                    f"links, or a template the profile's selectors do not fit)"
                ),
                http_status=item.snapshot.status,
                snapshot=item.snapshot,
                warnings=item.article.warnings,
            )
        return item


class DedupPipeline(_CrawlerPipeline):
    """Give each article its identity (canonical URL, body hash); drop repeats within a run."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.seen_urls: set[str] = set()

    def process_item(self, item):
        if not isinstance(item, ArticlePage):
            return item
        item.canonical_url = canonical_url(item.article.url)
        item.content_hash = content_hash(item.article.body)
        if item.canonical_url in self.seen_urls:
            self.stats.inc_value("archive/repeat_in_run")
            raise DropItem(f"already stored in this run: {item.canonical_url}")
        self.seen_urls.add(item.canonical_url)
        return item


class StorePipeline(_CrawlerPipeline):
    """Write every item to the archive in its own transaction; count outcomes in the stats."""

    def process_item(self, item):
        session = session_for(self.crawler)
        archive, crawl_id = session.archive, session.crawl_id
        if isinstance(item, ListPage):
            archive.store_list_page(item.site, item.section, item.snapshot, item.links, crawl_id)
            self.stats.inc_value("archive/list_pages")
        elif isinstance(item, ArticlePage):
            outcome = archive.store_article(
                item.article,
                item.snapshot,
                url=item.canonical_url,
                body_hash=item.content_hash,
                section=item.listed_section,
                crawl_id=crawl_id,
                extra_snapshots=item.extra_snapshots,
            )
            self.stats.inc_value(f"archive/{outcome}")
            if item.article.warnings:
                self.stats.inc_value("archive/warnings", len(item.article.warnings))
        elif isinstance(item, SectionWalked):
            archive.mark_section_walked(item.site, item.section, item.reason, crawl_id)
        elif isinstance(item, ViewReading):
            stored = archive.store_view_reading(
                item.url,
                item.count,
                item.raw,
                item.method,
                item.observed_at,
                crawl_id,
                item.counter_url,
            )
            self.stats.inc_value("archive/view_readings" if stored else "archive/view_unknown")
        elif isinstance(item, PageError):
            archive.record_error(
                crawl_id,
                item.url,
                item.kind,
                item.detail,
                item.http_status,
                item.snapshot,
                site=item.site,
                warnings=item.warnings,
            )
            self.stats.inc_value("archive/errors")
        return item
