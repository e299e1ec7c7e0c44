"""What keeping every version costs on the write path, and in bytes.

``python -m benchmarks.versions [-n 2000]`` parses the sample site's articles once, makes N
distinct article pages, and stores them three times into one archive, one transaction each
(as a crawl's StorePipeline does):

1. new: every article new (its row, its first version, URL, snapshot, signature, reading);
2. re-fetched unchanged: other bytes (a view count and a footer moved), the same fields: the
   comparison with the stored version, last_seen moved;
3. re-fetched edited: one figure of the body changed: the old page read again by the parser
   (so a better parser is never taken for an editor), a new version, an ``edited`` change.

Prints items/s for 2 and 3 beside 1 (the baseline: the write path's own cost), and the bytes
``article_versions`` takes beside the whole archive's.
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
from pingan_crawler.fixtureserver import SAMPLE_SITE
from pingan_crawler.items import ArticlePage, Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.sites import load_profile
from pingan_crawler.storage import Archive, Outcome, store


def parsed_samples() -> list[tuple[bytes, str, object]]:
    profile = load_profile("pasxw")
    routes = json.loads((SAMPLE_SITE / "routes.json").read_text("utf-8"))["routes"]
    parsed = []
    for path, route in routes.items():
        if path.startswith("/index.asp?bh="):
            body = (SAMPLE_SITE / route["file"]).read_bytes()
            ctype = route["headers"].get("Content-Type", "")
            article = extract_article(body, profile.base_url + path, profile, ctype)
            if not article.missing:
                parsed.append((body, ctype, article))
    return parsed


def pages(count: int, fetch: int, edited: bool = False) -> list[ArticlePage]:
    """N article pages; ``fetch`` varies the bytes (a view count, a footer time), ``edited``
    changes one figure in each body, as an editor would."""
    samples = parsed_samples()
    made = []
    for n in range(count):
        body, ctype, article = samples[n % len(samples)]
        url = f"http://pasxw.com/index.asp?bh=bench{n}"
        figure = n * 7 % 997 + (1 if edited else 0)
        text = f"{article.body}\n第{n}号通报：本期共办理案件{figure}件。"
        unique = body + f"<!-- {n} fetch {fetch} -->".encode()
        snap = Snapshot(url, 200, {"Content-Type": [ctype]}, unique, datetime.now(SHANGHAI), url)
        changed = dataclasses.replace(article, url=url, body=text, view_count=100 + fetch)
        made.append(ArticlePage("pasxw", "平安资讯", snap, changed))
    return made


def rate(archive: Archive, items: list[ArticlePage], expected: Outcome) -> float:
    started = time.perf_counter()
    outcomes = [store(archive, None, item) for item in items]
    elapsed = time.perf_counter() - started
    assert set(outcomes) == {expected}, set(outcomes)
    return len(items) / elapsed


def table_bytes(archive: Archive, table: str) -> int | None:
    """Bytes of a table's pages (SQLite's dbstat), None where dbstat is not compiled in."""
    try:
        return archive.db.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = ?", [table]
        ).fetchone()[0]
    except Exception:
        return None


def version_rows(count: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        warm = Archive(Path(tmp) / "warm.db")
        rate(warm, pages(50, 0), Outcome.NEW)
        warm.close()
        archive = Archive(Path(tmp) / "versions.db")
        new = rate(archive, pages(count, 0), Outcome.NEW)
        unchanged = rate(archive, pages(count, 1), Outcome.UNCHANGED)
        edited = rate(archive, pages(count, 2, edited=True), Outcome.UPDATED)
        archive.checkpoint()
        versions = table_bytes(archive, "article_versions")
        whole = (Path(tmp) / "versions.db").stat().st_size
        archive.close()
    rows = [
        Row(
            "versions",
            f"re-fetched unchanged (other bytes, same fields), {count} articles",
            unchanged,
            new,
            "storing them new",
            unchanged / new,
            "",
            None,
            "/s",
        ),
        Row(
            "versions",
            f"re-fetched edited (old page parsed again, new version), {count} articles",
            edited,
            new,
            "storing them new",
            edited / new,
            "",
            None,
            "/s",
        ),
    ]
    if versions is not None:
        rows.append(
            Row(
                "versions",
                f"article_versions bytes, 2 versions of {count} articles (3 fetches each)",
                versions,
                whole,
                "the whole archive file",
                versions / whole,
                "",
                None,
                " B",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=2000)
    args = parser.parse_args()
    from benchmarks.report import table

    print(table(version_rows(args.count)))


if __name__ == "__main__":
    main()
