"""End to end: `pingan demo` crawls the sample site over 127.0.0.1 into SQLite."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import PASXW, expected_articles, load_manifest, query, run_pingan

from pingan_crawler.fixtureserver import FixtureServer

EXPECTED = {e["url"]: e for e in expected_articles()}
COLUMNS = {
    "title": "title",
    "publish_time": "published_at",
    "view_count": "view_count",
    "source": "source",
    "editor": "editor",
    "author": "author",
    "body": "body",
    "charset": "charset",
    "section": "section",
}


@pytest.mark.slow
def test_every_article_is_stored_once_with_its_expected_fields(demo_db):
    rows = query(
        demo_db,
        "SELECT url, title, published_at, view_count, source, editor, author, "
        "body, charset, section, images FROM articles",
    )
    names = [
        "url",
        "title",
        "published_at",
        "view_count",
        "source",
        "editor",
        "author",
        "body",
        "charset",
        "section",
        "images",
    ]
    stored = [dict(zip(names, row, strict=True)) for row in rows]
    reposts = load_manifest()["traps"]["reposted_under_two_urls"].split()
    assert len(stored) == len(EXPECTED) - (len(reposts) - 1)
    for row in stored:
        expected = EXPECTED[row["url"]]
        for field, column in COLUMNS.items():
            assert row[column] == expected[field], f"{row['url']}: {field}"
        assert json.loads(row["images"]) == expected["images"]
    # Every article URL of the site resolves to exactly one stored article.
    aliases = dict(query(demo_db, "SELECT url, article_id FROM article_urls"))
    assert set(aliases) == set(EXPECTED)


def test_repost_under_another_url_is_merged_into_one_article(demo_db):
    first, second = (
        f"http://pasxw.com/index.asp?bh={bh}"
        for bh in load_manifest()["traps"]["reposted_under_two_urls"].split()
    )
    ids = query(
        demo_db,
        "SELECT url, article_id, section FROM article_urls WHERE url IN (?, ?)",
        (first, second),
    )
    assert len(ids) == 2
    assert ids[0][1] == ids[1][1]
    assert {row[2] for row in ids} == {"他山之石", "热点观察"}


def test_article_listed_in_two_sections_is_one_row_with_both_sections(demo_db):
    url = f"http://pasxw.com/index.asp?bh={load_manifest()['traps']['listed_in_two_sections']}"
    assert query(demo_db, "SELECT count(*) FROM articles WHERE url = ?", (url,)) == [(1,)]
    sections = {
        row[0]
        for row in query(demo_db, "SELECT section FROM article_sections WHERE url = ?", (url,))
    }
    assert sections == {"平安资讯", "平安要闻"}


def test_every_fetched_page_has_a_snapshot_whose_sha256_matches(demo_db):
    rows = query(
        demo_db,
        "SELECT s.url, s.sha256, s.status, s.headers, b.data, b.size "
        "FROM snapshots s JOIN snapshot_bodies b USING (sha256)",
    )
    routes = load_manifest()["routes"]
    list_paths = {p for p in routes if p.startswith("/list.asp")}
    urls = {row[0] for row in rows}
    assert set(EXPECTED) <= urls
    # Each section's first page is fetched by its bare URL; later pages by ?page=N.
    fetched_lists = {u for u in urls if "/list.asp" in u}
    assert len(fetched_lists) == len(list_paths) - 8
    for url, sha, status, headers, data, size in rows:
        body = zlib.decompress(data)
        assert hashlib.sha256(body).hexdigest() == sha
        assert len(body) == size
        assert status == 200
        path = url.removeprefix("http://pasxw.com")
        assert body == (PASXW / routes[path]["file"]).read_bytes()
        assert json.loads(headers)["Content-Type"] == [routes[path]["headers"]["Content-Type"]]


def test_crawl_record_counts_the_run(demo_db):
    [(reason, requests, new, dups, errors)] = query(
        demo_db, "SELECT finish_reason, requests, articles_new, duplicates, errors FROM crawls"
    )
    assert reason == "finished"
    assert new == len(EXPECTED) - 1
    assert dups == 1
    assert errors == 0
    assert requests == len(EXPECTED) + 21 + 1  # articles + list pages + robots.txt


def test_view_counts_are_recorded_as_observations(demo_db):
    rows = query(
        demo_db,
        "SELECT a.url, v.count, v.raw, v.method FROM view_counts v "
        "JOIN articles a ON a.id = v.article_id",
    )
    seed = [r for r in rows if r[0].endswith("bh=2020128154217922")]
    assert seed == [(seed[0][0], 1154, "1154次", "page")]


@pytest.mark.slow
def test_second_run_adds_nothing_and_loses_nothing(demo_db_copy):
    before = {
        t: query(demo_db_copy, f"SELECT * FROM {t} ORDER BY 1")
        for t in ("articles", "article_urls", "snapshot_bodies")
    }
    result = run_pingan("demo", "--db", str(demo_db_copy), db=demo_db_copy)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 articles stored" in result.stdout
    after = {t: query(demo_db_copy, f"SELECT * FROM {t} ORDER BY 1") for t in before}
    # Only last_seen moves on the articles; nothing is added or removed anywhere.
    assert len(after["articles"]) == len(before["articles"])
    assert [r[:20] for r in after["articles"]] == [r[:20] for r in before["articles"]]
    assert len(after["article_urls"]) == len(before["article_urls"])
    assert after["snapshot_bodies"] == before["snapshot_bodies"]
    [(requests,)] = query(demo_db_copy, "SELECT requests FROM crawls WHERE id = 2")
    # First list page of each section, then paging stops: it lists only known articles.
    assert requests == 8 + 1


@pytest.mark.slow
def test_demo_output_names_the_summary_fields(tmp_path):
    db = tmp_path / "x.db"
    result = run_pingan("demo", "--db", str(db), db=db)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    for words in (
        "8 sections",
        "90 pages fetched",
        "67 articles stored",
        "1 duplicates merged",
        "0 errors",
    ):
        assert words in summary
    assert "pages fetched" in result.stderr  # progress lines


@pytest.mark.slow
def test_scrapy_crawl_from_the_repo_root(tmp_path):
    """`scrapy crawl pingan -a site=pasxw -a base_url=…` against a running sample server."""
    db = tmp_path / "scrapy.db"
    with FixtureServer(PASXW) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "pingan",
                "-a",
                "site=pasxw",
                "-a",
                f"base_url={server.base_url}",
                "-s",
                f"PINGAN_DB={db}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                "-s",
                "LOG_LEVEL=INFO",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=Path(__file__).parent.parent,
            env={**os.environ, "PINGAN_DB": str(tmp_path / "not-this.db")},
        )
        assert result.returncode == 0, result.stderr[-3000:]
        fetched = {path for _method, path in server.requests}
    assert query(db, "SELECT count(*) FROM articles") == [(len(EXPECTED) - 1,)]
    assert "/robots.txt" in fetched
    assert not (tmp_path / "not-this.db").exists()
    assert "ScrapyDeprecationWarning" not in result.stderr
