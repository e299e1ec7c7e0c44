"""Analyst access on a generated archive: search, short-query search, export and reparse speed.

``python -m benchmarks.analysis [-n 100000] [--db PATH]`` fills an archive with N articles of
the sample site's kind (Chinese bodies recombined from the sample's paragraphs, each with a
sentence of its own; the stored snapshot of each is its full GBK page) by bulk insert, then
times each operation beside a baseline and prints the ratio. Goals (issue 5): trigram search
p50 ≤ 5 ms, short-query p50 ≤ 300 ms, export ≥ 20,000 rows/s, reparse ≥ 500 pages/s.
An existing ``--db`` with N articles is reused (generation takes a few minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.sitegen import _load_builder
from pingan_crawler.analysis.export import export
from pingan_crawler.analysis.filters import Filters
from pingan_crawler.analysis.reparse import reextract, reparse
from pingan_crawler.analysis.search import search
from pingan_crawler.storage import Archive, content_hash

LONG_QUERIES = [
    "扫黑除恶",
    "矛盾纠纷",
    "社会治理",
    "电信网络诈骗",
    "平安建设",
    "安全生产",
    "枫桥经验",
]
SHORT_QUERIES = ["扫黑", "反诈", "绍兴", "禁毒", "信访", "消防", "交通"]
ABSENT = "嗯嗯"  # a short word in no article: the whole table is scanned
REPARSE_SAMPLE = 5_000


def generate(path: Path, count: int, seed: int = 11) -> None:
    """Bulk-insert ``count`` articles with their snapshots and one view reading each."""
    build = _load_builder()
    rng = random.Random(seed)
    samples = build.load_articles()
    pool = [p for a in samples for p in a["paragraphs"] if len(p) > 30]
    titles = [a["title"] for a in samples]
    sources = ["绍兴日报", "绍兴市委政法委", "法治日报——法制网", "柯桥公安", "浙江法制报", None]
    start = datetime(2015, 1, 1, 8, 0, 0)
    hot = samples[:7]
    archive = Archive(path)
    conn = archive.db.conn
    # Bulk load: index the text once at the end instead of row by row through the trigger.
    (trigger_sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_ai'"
    ).fetchone()
    conn.execute("DROP TRIGGER articles_ai")
    batch: list[tuple] = []

    def flush() -> None:
        with archive.db.atomic():
            conn.executemany(
                "INSERT OR IGNORE INTO snapshot_bodies (sha256, size, compression, data) "
                "VALUES (?, ?, 'zlib', ?)",
                [(b[0], b[1], b[2]) for b in batch],
            )
            conn.executemany(
                "INSERT INTO snapshots (id, url, site, kind, fetched_at, last_fetched_at, "
                "fetch_count, status, fetched_url, headers, sha256, size, charset) "
                "VALUES (?, ?, 'pasxw', 'article', ?, ?, 1, 200, ?, ?, ?, ?, 'gb18030')",
                [(b[3], b[4], b[5], b[5], b[4], b[6], b[0], b[1]) for b in batch],
            )
            conn.executemany(
                "INSERT INTO articles (id, url, site, section, title, published_at, "
                "published_raw, published_precision, view_count, view_count_raw, body, "
                "body_html, source, editor, images, charset, warnings, content_hash, "
                "snapshot_id, first_seen, last_seen) VALUES (?, ?, 'pasxw', ?, ?, ?, ?, "
                "'second', ?, ?, ?, ?, ?, ?, '[]', 'gb18030', '[]', ?, ?, ?, ?)",
                [b[7] for b in batch],
            )
            conn.executemany(
                "INSERT INTO article_urls (url, article_id, site, section, first_seen, "
                "last_seen) VALUES (?, ?, 'pasxw', ?, ?, ?)",
                [(b[4], b[3], b[7][2], b[5], b[5]) for b in batch],
            )
            conn.executemany(
                "INSERT INTO view_counts (article_id, observed_at, count, raw, method) "
                "VALUES (?, ?, ?, ?, 'page')",
                [(b[3], b[5], b[7][7], b[7][8]) for b in batch],
            )
        batch.clear()

    headers = json.dumps({**{k: [v] for k, v in build.IIS.items()}, "Content-Type": ["text/html"]})
    for n in range(1, count + 1):
        dt = start + timedelta(minutes=47 * n + rng.randint(0, 40))
        paragraphs = rng.sample(pool, rng.randint(4, 8))
        paragraphs.insert(
            1, f"据统计，截至{dt.year}年{dt.month}月，全市累计排查化解矛盾纠纷{n + 1031}件。"
        )
        art = {
            "title": f"{rng.choice(titles)}（{n}）",
            "published": f"{dt:%Y-%m-%d %H:%M:%S}",
            "views": rng.randint(30, 6000),
            "source": rng.choice(sources),
            "editor": rng.choice(["安羽", "周静", "王琳", "陈晓"]),
            "paragraphs": paragraphs,
            "section": build.SECTIONS[n % len(build.SECTIONS)],
            "bh": f"{dt:%Y%m%d%H%M%S}{n % 1000:03d}",
        }
        page = build.crlf(build.article_page(art, hot, None, None))
        url = f"http://pasxw.com/index.asp?bh={art['bh']}"
        fetched = (dt + timedelta(days=1)).isoformat() + "+08:00"
        body = "\n".join(paragraphs)
        article_row = (
            n,
            url,
            art["section"],
            art["title"],
            dt.isoformat() + "+08:00",
            art["published"],
            art["views"],
            str(art["views"]),
            body,
            "".join(f"<p>{p}</p>" for p in paragraphs),
            art["source"],
            art["editor"],
            content_hash(body),
            n,
            fetched,
            fetched,
        )
        digest = hashlib.sha256(page).hexdigest()
        batch.append(
            (digest, len(page), zlib.compress(page, 1), n, url, fetched, headers, article_row)
        )
        if len(batch) == 2_000:
            flush()
            print(f"\r{n:,}/{count:,} articles", end="", file=sys.stderr)
    if batch:
        flush()
    print(" indexing…", file=sys.stderr)
    with archive.db.atomic():
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        conn.execute(trigger_sql)
    archive.close()


def p50_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def like_scan(conn, text: str) -> list:
    """Baseline: what one writes without an index (LIKE on the articles table)."""
    pattern = f"%{text}%"
    return conn.execute(
        "SELECT id, title FROM articles WHERE title LIKE ? OR body LIKE ? "
        "ORDER BY published_at DESC LIMIT 20",
        [pattern, pattern],
    ).fetchall()


def median_over(queries: list[str], func: Callable[[str], object], repeat: int = 3) -> float:
    return statistics.median(p50_ms(lambda q=q: func(q), repeat) for q in queries)


def bench_search(archive: Archive) -> list[tuple]:
    conn = archive.db.conn
    for q in LONG_QUERIES + SHORT_QUERIES:  # the words occur in the generated text
        assert search(archive, q, limit=1), f"{q!r} matches nothing in the generated archive"
    count = archive.db["articles"].count
    rng = random.Random(3)
    selective = [  # the sentence each generated article has of its own
        f"累计排查化解矛盾纠纷{n + 1031}件" for n in rng.sample(range(1, count + 1), 7)
    ]
    matches = statistics.median(
        conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [f'"{q}"']
        ).fetchone()[0]
        for q in LONG_QUERIES
    )
    print(f"trigram queries: median {matches:,.0f} matching articles of {count:,}", file=sys.stderr)
    like = median_over(LONG_QUERIES, lambda q: like_scan(conn, q), repeat=1)
    short_like = median_over(SHORT_QUERIES, lambda q: like_scan(conn, q), repeat=1)

    def ours(queries: list[str], order: str, repeat: int) -> float:
        return median_over(queries, lambda q: search(archive, q, limit=20, order=order), repeat)

    return [
        (
            "trigram search p50, relevance (ms)",
            ours(LONG_QUERIES, "relevance", 5),
            "LIKE scan",
            like,
            "≤ 5",
        ),
        (
            "trigram search p50, recent (ms)",
            ours(LONG_QUERIES, "recent", 5),
            "LIKE scan",
            like,
            "≤ 5",
        ),
        (
            "trigram search p50, one-article phrases (ms)",
            ours(selective, "relevance", 5),
            "LIKE scan",
            median_over(selective, lambda q: like_scan(conn, q), repeat=1),
            "≤ 5",
        ),
        (
            "short-query p50, relevance (ms)",
            ours(SHORT_QUERIES, "relevance", 3),
            "LIKE scan",
            short_like,
            "≤ 300",
        ),
        (
            "short-query p50, recent (ms)",
            ours(SHORT_QUERIES, "recent", 3),
            "LIKE scan",
            short_like,
            "≤ 300",
        ),
        (
            "short query in no article (ms)",
            ours([ABSENT], "relevance", 1),
            "LIKE scan",
            median_over([ABSENT], lambda q: like_scan(conn, q), repeat=1),
            "(worst case)",
        ),
    ]


def bench_export(archive: Archive) -> list[tuple]:
    conn = archive.db.conn
    with open(os.devnull, "w", encoding="utf-8") as sink:
        started = time.perf_counter()
        rows = export(archive, sink, "jsonl")
        ours = rows / (time.perf_counter() - started)
        started = time.perf_counter()
        cursor = conn.execute("SELECT * FROM articles")
        names = [d[0] for d in cursor.description]
        for row in cursor:  # baseline: dump raw rows, no field choice, no JSON columns
            sink.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n")
        base = rows / (time.perf_counter() - started)
        started = time.perf_counter()
        export(archive, sink, "csv")
        csv_rate = rows / (time.perf_counter() - started)
    return [
        ("export JSONL (rows/s)", ours, "json.dumps of raw rows", base, "≥ 20,000"),
        ("export CSV (rows/s)", csv_rate, "json.dumps of raw rows", base, "≥ 20,000"),
    ]


def bench_reparse(archive: Archive) -> list[tuple]:
    conn = archive.db.conn
    (cut,) = conn.execute(
        "SELECT published_at FROM articles ORDER BY published_at DESC LIMIT 1 OFFSET ?",
        [REPARSE_SAMPLE - 1],
    ).fetchone()
    filters = Filters(since=cut)
    rows = conn.execute(
        "SELECT a.url, a.site, s.sha256, s.headers, s.fetched_at FROM articles a "
        "JOIN snapshots s ON s.id = a.snapshot_id WHERE a.published_at >= ?",
        [cut],
    ).fetchall()
    names = ("url", "site", "sha256", "headers", "fetched_at")
    started = time.perf_counter()
    for row in rows:  # baseline: read and parse in one process, nothing compared or written
        record = dict(zip(names, row, strict=True))
        reextract(archive, {**record, "headers": json.loads(record["headers"] or "{}")})
    base = len(rows) / (time.perf_counter() - started)
    started = time.perf_counter()
    report = reparse(archive, filters)
    ours = report.articles / (time.perf_counter() - started)
    print(
        f"reparse: {report.articles:,} articles, {report.changed:,} changed "
        f"({dict(report.fields.most_common(4))}), {len(report.problems)} problems",
        file=sys.stderr,
    )
    return [("reparse (pages/s)", ours, "read + parse, 1 process", base, "≥ 500")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="archive to create or reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        have = Archive(path).db["articles"].count if path.exists() else 0
        if have != args.count:
            if have:
                raise SystemExit(f"{path} holds {have} articles, not {args.count}")
            started = time.monotonic()
            generate(path, args.count)
            print(f"generated {args.count:,} articles in {time.monotonic() - started:.0f} s")
        archive = Archive(path)
        size = path.stat().st_size / 1e6
        print(f"archive: {args.count:,} articles, {size:,.0f} MB ({path})\n")
        results = bench_search(archive) + bench_export(archive) + bench_reparse(archive)
        archive.close()
    print("| measure | ours | baseline | baseline value | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for name, ours, base_name, base, goal in results:
        ratio = base / ours if "ms" in name else ours / base
        how = "× faster" if ratio >= 1 else "× (slower)"
        print(f"| {name} | {ours:,.1f} | {base_name} | {base:,.1f} | {ratio:,.1f}{how} | {goal} |")


if __name__ == "__main__":
    main()
