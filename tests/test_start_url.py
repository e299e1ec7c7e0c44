"""`pingan crawl --start-url URL`: a site with no profile, crawled by heuristics alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, PINGAN, expected_articles, query

from pingan_crawler.fixtureserver import FixtureServer


def crawl_start_urls(family: str, paths: list[str], db: Path) -> tuple[str, list]:
    with FixtureServer(FIXTURES / family) as server:
        args = [arg for path in paths for arg in ("--start-url", server.base_url + path)]
        result = subprocess.run(
            [*PINGAN, "crawl", *args, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return server.base_url, list(server.requests)


@pytest.mark.slow
def test_list_pages_given_as_start_urls_are_walked_to_their_end(tmp_path):
    db = tmp_path / "g.db"
    base, requests = crawl_start_urls("trs", ["/padt/index.shtml", "/zfyw/index.shtml"], db)
    expected = {
        base + e["path"]: e
        for e in expected_articles(FIXTURES / "trs")
        if e["section"] in ("平安动态", "政法要闻")
    }
    rows = query(db, "SELECT url, title, published_at, body, site FROM articles")
    assert {row[0] for row in rows} == set(expected)
    for url, title, published, body, site in rows:
        assert title == expected[url]["title"]
        assert published == expected[url]["publish_time"]
        assert body == expected[url]["body"]
        assert site == base.removeprefix("http://")
    # The pager is a script (createPageHTML): found without a profile, never past the end.
    fetched = {path for _, path in requests}
    assert {"/padt/index_1.shtml", "/padt/index_2.shtml"} <= fetched
    assert "/padt/index_3.shtml" not in fetched


@pytest.mark.slow
def test_a_homepage_start_url_follows_the_nav_to_every_section(tmp_path):
    db = tmp_path / "h.db"
    base, _ = crawl_start_urls("dedecms", ["/"], db)
    expected = {base + e["path"]: e for e in expected_articles(FIXTURES / "dedecms")}
    rows = query(db, "SELECT url, title, source FROM articles")
    assert {row[0] for row in rows} == set(expected)
    assert all(title == expected[url]["title"] for url, title, _ in rows)
    sections = {s for (s,) in query(db, "SELECT DISTINCT section FROM listings")}
    assert {"政法动态", "平安创建", "以案说法"} <= sections


@pytest.mark.slow
def test_scrapy_crawl_takes_a_start_url(tmp_path):
    db = tmp_path / "s.db"
    with FixtureServer(FIXTURES / "phpcms") as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "pingan",
                "-a",
                f"start_url={server.base_url}/list-8-1.html",
                "-s",
                f"PINGAN_DB={db}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=Path(__file__).parent.parent,
            env=dict(os.environ),
        )
    assert result.returncode == 0, result.stderr[-3000:]
    in_section = [e for e in expected_articles(FIXTURES / "phpcms") if e["section"] == "法治宣传"]
    assert query(db, "SELECT count(*) FROM articles") == [(len(in_section),)]


def test_start_urls_on_two_sites_are_refused(tmp_path):
    result = subprocess.run(
        [
            *PINGAN,
            "crawl",
            "--start-url",
            "http://127.0.0.1:1/a.html",
            "--start-url",
            "http://127.0.0.2:1/b.html",
            "--db",
            str(tmp_path / "x.db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "one site" in result.stderr
