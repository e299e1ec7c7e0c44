"""End to end: each CMS family's sample site crawled offline by a short profile.

The profiles in tests/profiles/ extend the family bases in pingan_crawler/sites/families/; the
sites (tests/fixtures/<family>/) are served byte for byte on 127.0.0.1 with their expected JSON.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import FIXTURES, PINGAN, expected_articles, load_manifest, query

from pingan_crawler.fixtureserver import FixtureServer

PROFILES = Path(__file__).parent / "profiles"
FAMILIES = {"trs": "pajinhua", "dedecms": "pananhu", "hanweb": "qzpeace", "phpcms": "tzcaw"}
FIELDS = {
    "title": "title",
    "publish_time": "published_at",
    "view_count": "view_count",
    "section": "section",
    "source": "source",
    "editor": "editor",
    "author": "author",
    "charset": "charset",
    "body": "body",
}


def crawl(family: str, db: Path, *extra: str) -> tuple[subprocess.CompletedProcess, list]:
    """``pingan crawl <profile> --base-url <local server>``; the result and the requests made."""
    with FixtureServer(FIXTURES / family) as server:
        result = subprocess.run(
            [
                *PINGAN,
                "crawl",
                FAMILIES[family],
                "--base-url",
                server.base_url,
                "--db",
                str(db),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "PINGAN_SITES_PATH": str(PROFILES)},
            cwd=Path(__file__).parent.parent,
        )
        return result, list(server.requests)


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory):
    """``first_crawl(family)``: that site crawled once into a fresh archive (shared by tests)."""
    done: dict[str, tuple[Path, list]] = {}

    def get(family: str) -> tuple[Path, list]:
        if family not in done:
            db = tmp_path_factory.mktemp(family) / "pingan.db"
            result, requests = crawl(family, db)
            assert result.returncode == 0, result.stderr[-3000:] + result.stdout
            done[family] = db, requests
        return done[family]

    return get


@pytest.fixture(params=sorted(FAMILIES))
def crawled(request, first_crawl):
    return (request.param, *first_crawl(request.param))


@pytest.mark.slow
def test_every_article_is_stored_with_its_expected_fields(crawled):
    family, db, _ = crawled
    expected = {e["url"]: e for e in expected_articles(FIXTURES / family)}
    columns = ", ".join(FIELDS.values())
    rows = query(db, f"SELECT url, images, pages, {columns} FROM articles")
    assert {row[0] for row in rows} == set(expected)
    for url, images, pages, *values in rows:
        want = expected[url]
        for field, value in zip(FIELDS, values, strict=True):
            assert value == want[field], f"{url}: {field}"
        assert json.loads(images) == want["images"], url
        assert pages == len(want["pages"]), url


@pytest.mark.slow
def test_multi_page_articles_are_one_article_with_every_page_snapshotted(crawled):
    family, db, _ = crawled
    site = load_manifest(FIXTURES / family)["base_url"]
    multi = [e for e in expected_articles(FIXTURES / family) if len(e["pages"]) > 1]
    if family in ("dedecms", "phpcms"):
        assert multi, "the sample site has multi-page articles"
    snapshots = {url for (url,) in query(db, "SELECT url FROM snapshots")}
    article_urls = {url for (url,) in query(db, "SELECT url FROM article_urls")}
    for article in multi:
        later = {site + path for path in article["pages"][1:]}
        assert later <= snapshots  # every page's bytes are kept
        assert not later & article_urls  # but page 2 is not an article of its own
        [(body,)] = query(db, "SELECT body FROM articles WHERE url = ?", (article["url"],))
        assert body == article["body"]


@pytest.mark.slow
def test_reparse_joins_multi_page_articles_from_their_stored_pages(crawled, tmp_path, monkeypatch):
    """Offline reparse reads later pages from the archive: nothing changes, and a damaged
    multi-page body is restored whole, not cut to its first page."""
    from pingan_crawler import Archive
    from pingan_crawler.analysis import reparse as reparse_module

    family, db, _ = crawled
    monkeypatch.setenv("PINGAN_SITES_PATH", str(PROFILES))
    reparse_module._site_profile.cache_clear()
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    multi = [e for e in expected_articles(FIXTURES / family) if len(e["pages"]) > 1]
    for article in multi:
        query(copy, "UPDATE articles SET body = 'x' WHERE url = ?", (article["url"],))
    archive = Archive(copy)
    try:
        report = reparse_module.reparse(archive)
    finally:
        archive.close()
    assert report.problems == []
    assert report.changed == len(multi)
    assert set(report.fields) <= {"body"}
    for article in multi:
        [(body,)] = query(copy, "SELECT body FROM articles WHERE url = ?", (article["url"],))
        assert body == article["body"]


@pytest.mark.slow
def test_view_counts_say_where_they_came_from(crawled):
    family, db, requests = crawled
    site = load_manifest(FIXTURES / family)["base_url"]
    rows = {
        url: (count, method, counter)
        for url, count, method, counter in query(
            db,
            "SELECT a.url, v.count, v.method, v.counter_url FROM view_counts v "
            "JOIN articles a ON a.id = v.article_id",
        )
    }
    for article in expected_articles(FIXTURES / family):
        if article["view_count_source"] == "counter":
            count, method, counter = rows[article["url"]]
            assert count == article["view_count"]
            assert method in ("js_docwrite", "jq_html")
            assert counter == site + article["counter_path"]
            assert ("GET", article["counter_path"]) in requests  # the profile opted in
        else:
            assert article["url"] not in rows or rows[article["url"]][1] == "page"


@pytest.mark.slow
def test_every_snapshot_is_the_served_bytes(crawled):
    family, db, _ = crawled
    manifest = load_manifest(FIXTURES / family)
    site = manifest["base_url"]
    rows = query(db, "SELECT s.url, b.data FROM snapshots s JOIN snapshot_bodies b USING (sha256)")
    for url, data in rows:
        route = manifest["routes"].get(url.removeprefix(site))
        if route is not None:  # POST replies are keyed by their form, checked elsewhere
            assert zlib.decompress(data) == (FIXTURES / family / route["file"]).read_bytes()


@pytest.mark.slow
def test_trs_pages_stop_at_the_count_the_pager_script_gives(first_crawl):
    _, requests = first_crawl("trs")
    stubs = load_manifest(FIXTURES / "trs")["traps"]["stub_list_pages"].split()
    fetched = {path for _, path in requests}
    assert not fetched & set(stubs)  # createPageHTML(3, …) says index_2 is the last page
    assert {"/padt/index_1.shtml", "/padt/index_2.shtml"} <= fetched


@pytest.mark.slow
def test_hanweb_later_records_come_from_dataproxy_posts_and_a_second_run_stops_early(
    first_crawl, tmp_path
):
    first_db, requests = first_crawl("hanweb")
    db = tmp_path / "h.db"
    with sqlite3.connect(first_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    posts = [path for method, path in requests if method == "POST"]
    assert posts and all("dataproxy.jsp?startrecord=" in p for p in posts)
    listed = query(db, "SELECT count(DISTINCT article_url) FROM listings")[0][0]
    assert listed == 24
    result, requests = crawl("hanweb", db)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 articles stored" in result.stdout
    fetched = [path for _, path in requests if path != "/robots.txt"]
    # Only each column's first page: every record on it is archived already.
    assert sorted(fetched) == [f"/col/col{c}/index.html" for c in (60096, 60097, 60098)]


@pytest.mark.slow
def test_counters_are_not_fetched_unless_the_profile_opts_in(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    text = (PROFILES / "tzcaw.toml").read_text("utf-8").replace("fetch_counter = true", "")
    (profiles / "tzcaw.toml").write_text(text, "utf-8")
    db = tmp_path / "p.db"
    with FixtureServer(FIXTURES / "phpcms") as server:
        result = subprocess.run(
            [*PINGAN, "crawl", "tzcaw", "--base-url", server.base_url, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "PINGAN_SITES_PATH": str(profiles)},
        )
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not [p for _, p in requests if "api.php" in p]
    assert query(db, "SELECT count(*) FROM view_counts") == [(0,)]
    assert query(db, "SELECT count(*) FROM articles WHERE view_count IS NULL") == [(24,)]
    # The counter's URL is kept, so a later opt-in (or refresh-views) knows where to read.
    assert query(
        db, "SELECT count(*) FROM articles WHERE counter_url LIKE '%api.php?op=count%'"
    ) == [(24,)]


@pytest.mark.slow
def test_refresh_views_reads_the_counter_again_and_says_so(first_crawl, tmp_path):
    first_db, _ = first_crawl("dedecms")
    db = tmp_path / "r.db"
    with sqlite3.connect(first_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    with FixtureServer(FIXTURES / "dedecms") as server:
        result = subprocess.run(
            [
                *PINGAN,
                "refresh-views",
                "pananhu",
                "--days",
                "100000",
                "--base-url",
                server.base_url,
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "PINGAN_SITES_PATH": str(PROFILES)},
        )
        requests = [path for _, path in server.requests]
    assert result.returncode == 0, result.stderr[-2000:]
    assert sum("/plus/count.php" in path for path in requests) == 24
    readings = query(
        db,
        "SELECT a.url, count(*), min(v.count), max(v.method), max(v.counter_url) "
        "FROM view_counts v JOIN articles a ON a.id = v.article_id GROUP BY a.id",
    )
    site = load_manifest(FIXTURES / "dedecms")["base_url"]
    expected = {e["url"]: e for e in expected_articles(FIXTURES / "dedecms")}
    assert len(readings) == 24
    for url, n, count, method, counter in readings:
        assert n == 2  # the crawl's reading and this one
        assert count == expected[url]["view_count"]  # the sample counter does not move
        assert method == "js_docwrite"
        assert counter == site + expected[url]["counter_path"]


@pytest.mark.slow
def test_max_pages_bounds_hanweb_posts_too(tmp_path):
    result, requests = crawl("hanweb", tmp_path / "m.db", "--max-pages", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    posts = sorted(path for method, path in requests if method == "POST")
    assert posts == ["/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3"] * 3
    assert query(tmp_path / "m.db", "SELECT count(*) FROM articles") == [(18,)]
