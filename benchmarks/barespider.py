"""Baseline of the crawl benchmark: a bare Scrapy spider that fetches URLs and does nothing.

Run with ``scrapy runspider benchmarks/barespider.py -a urls=FILE`` from a directory with no
scrapy.cfg, so none of the project's pipelines or extensions load: what is left is Scrapy's own
cost of fetching the same pages.
"""

from __future__ import annotations

from pathlib import Path

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: str, **kwargs):
        super().__init__(**kwargs)
        self.url_file = Path(urls)

    async def start(self):
        for url in self.url_file.read_text("utf-8").split():
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        return None
