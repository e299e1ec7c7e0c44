"""Memory: peak RSS of the full crawl against the bare spider on the same pages, and its growth
from a small site to a large one (the rows come from crawls ``python -m benchmarks`` runs)."""

from __future__ import annotations

from benchmarks.crawl import CrawlResult
from benchmarks.harness import Row


def memory_rows(
    large: CrawlResult, bare: CrawlResult, small: CrawlResult, small_n: int, large_n: int
) -> list[Row]:
    growth = large.run.peak_rss_mb / small.run.peak_rss_mb
    return [
        Row(
            "memory",
            f"peak RSS, crawl of {large_n:,} articles",
            large.run.peak_rss_mb,
            bare.run.peak_rss_mb,
            "bare spider, same pages",
            large.run.peak_rss_mb / bare.run.peak_rss_mb,
            "≤ 300 MB",
            large.run.peak_rss_mb <= 300,
            "MB",
        ),
        Row(
            "memory",
            f"growth from {small_n:,} to {large_n:,} articles ({large_n / small_n:.0f}× the pages)",
            large.run.peak_rss_mb,
            small.run.peak_rss_mb,
            f"crawl of {small_n:,}",
            growth,
            "",
            None,
            "MB",
        ),
    ]
