"""The view-count spider: reads again the view counts of a site's recent articles.

``pingan refresh-views SITE --days N``, or ``scrapy crawl refresh-views -a site=SITE -a days=N
[-a base_url=…]``. Each archived article published in the last N days is fetched again (and
its counter script, when the profile opts in); every reading is a new ``view_counts`` row, so a
count's growth can be followed. No list page is walked and no article is stored again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scrapy.http import Response

from pingan_crawler.crawl.args import RefreshArgs
from pingan_crawler.items import ViewReading
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.spiders.base import ProfileSpider


class RefreshViewsSpider(ProfileSpider):
    name = "refresh-views"
    args_type = RefreshArgs
    args: RefreshArgs
    full = False  # recorded with the crawl, like a crawl's: a refresh is never a backfill

    async def start(self):
        cutoff = datetime.now(SHANGHAI) - timedelta(days=self.args.days)
        archive = self.open_state()
        try:
            urls = archive.article_urls_published_since(self.profile.name, cutoff)
        finally:
            archive.close()
        for url in urls:
            yield self.request(url, self.parse_views)

    def parse_views(self, response: Response):
        """The count printed in the page, or the counter script it names (when opted in)."""
        page = self.fetched(response)
        article = extract_article(page.body, page.url, self.profile, page.content_type)
        if article.counter_url and self.profile.views.fetch_counter:
            yield self.request(article.counter_url, self.parse_counter, url=article.url)
            return
        yield ViewReading(
            self.profile.name,
            article.url,
            article.view_count,
            article.view_count_raw,
            "page",
            datetime.now(SHANGHAI),
        )

    def parse_counter(self, response: Response, url: str):
        page = self.fetched(response)
        raw, count = self.read_count(page)
        yield ViewReading(
            self.profile.name,
            url,
            count,
            raw,
            self.profile.view_mode,
            datetime.now(SHANGHAI),
            page.url,
        )
