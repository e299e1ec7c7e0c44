"""Storing items: one transaction per item (what a crawl's StorePipeline does today) against
batches of items in one transaction (what a batch writer can do with ``storage.write``).

``python -m benchmarks.store [-n 2000] [--batch 100]`` parses the sample site's articles once,
makes N distinct article pages from them (each its own URL, bytes and body, so every one is
new: snapshot, body, article row, URL, signature, view reading), and stores them into two fresh
archives, one way each. Prints items/s for both and their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.harness import Row
from pingan_crawler.items import ArticlePage, Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.sites import load_profile
from pingan_crawler.storage import Archive, store, write

SAMPLE = Path(__file__).parent.parent / "tests" / "fixtures" / "pasxw"


def sample_pages(count: int) -> list[ArticlePage]:
    profile = load_profile("pasxw")
    routes = json.loads((SAMPLE / "routes.json").read_text("utf-8"))["routes"]
    parsed = []
    for path, route in routes.items():
        if not path.startswith("/index.asp?bh="):
            continue
        body = (SAMPLE / route["file"]).read_bytes()
        ctype = route["headers"].get("Content-Type", "")
        article = extract_article(body, profile.base_url + path, profile, ctype)
        if not article.missing:
            parsed.append((body, ctype, article))
    pages = []
    fetched = datetime.now(SHANGHAI)
    for n in range(count):
        body, ctype, article = parsed[n % len(parsed)]
        url = f"http://pasxw.com/index.asp?bh=bench{n}"
        text = f"{article.body}\n第{n}号通报：本期共办理案件{n * 7 % 997}件。"
        unique = body + f"<!-- {n} -->".encode()
        snap = Snapshot(url, 200, {"Content-Type": [ctype]}, unique, fetched, url)
        pages.append(
            ArticlePage("pasxw", "平安资讯", snap, dataclasses.replace(article, url=url, body=text))
        )
    return pages


def rate(db: Path, pages: list[ArticlePage], batch: int) -> float:
    """Items per second stored into a fresh archive, ``batch`` per transaction (1: store())."""
    archive = Archive(db)
    started = time.perf_counter()
    if batch == 1:
        for page in pages:
            store(archive, None, page)
    else:
        for start in range(0, len(pages), batch):
            with archive.transaction():
                for page in pages[start : start + batch]:
                    write(archive, None, page)
    elapsed = time.perf_counter() - started
    assert archive.counts()["articles"] == len(pages)
    archive.close()
    return len(pages) / elapsed


def store_rows(count: int, batch: int) -> list[Row]:
    pages = sample_pages(count)
    rate(Path(tempfile.mkdtemp()) / "warm.db", sample_pages(50), 1)  # imports, caches
    with tempfile.TemporaryDirectory() as tmp:
        single = rate(Path(tmp) / "single.db", pages, 1)
        batched = rate(Path(tmp) / "batched.db", [dataclasses.replace(p) for p in pages], batch)
    return [
        Row(
            "store",
            f"articles stored per second, {batch} per transaction ({count} new articles)",
            batched,
            single,
            "one transaction per article",
            batched / single,
            "",
            None,
            "/s",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    from benchmarks.report import table

    print(table(store_rows(args.count, args.batch)))


if __name__ == "__main__":
    main()
