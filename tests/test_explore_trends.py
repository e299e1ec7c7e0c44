"""`pingan explore` opens on search, canned queries and the charts of the report (dashboards)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import trends_archive
from conftest import PINGAN, query

from pingan_crawler.analysis.explore import checkpoint, make_datasette
from pingan_crawler.analysis.trends import Series, trends

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytest.importorskip("datasette_dashboards", reason="pip install 'pingan-crawler[explore]'")
from datasette_dashboards import replace_opts_in_query  # noqa: E402


@pytest.fixture(scope="module")
def db(demo_db, tmp_path_factory) -> Path:
    path = trends_archive.build(demo_db, tmp_path_factory.mktemp("explore") / "pingan.db")
    checkpoint(path)
    return path


@pytest.fixture(scope="module")
def get(db):
    ds = make_datasette(db)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    yield lambda path: loop.run_until_complete(ds.client.get(path))
    loop.close()


def rows(get, path: str) -> list[dict]:
    response = get(path)
    assert response.status_code == 200, response.text[:800]
    return response.json()


def test_the_front_page_opens_on_search_articles_queries_and_charts(get):
    page = get("/").text
    assert 'action="/pingan/search_short"' in page
    assert 'href="/pingan/articles?_sort_desc=published_at"' in page
    for name in ("word_per_month", "top_sources", "repost_flows", "crawl_health"):
        assert f'href="/pingan/{name}"' in page
    assert 'href="/-/dashboards/archive"' in page
    tables = [t["name"] for t in get("/pingan.json").json()["tables"] if not t["hidden"]]
    assert "articles" in tables and "articles_fts_vocab" not in tables


@pytest.mark.parametrize("word", ["扫黑除恶", "反诈", "毒", "AP"])
def test_the_search_box_takes_words_of_any_length(get, db, word):
    found = rows(get, f"/pingan/search_short.json?q={quote(word)}&_shape=array")
    if len(word) >= 3:
        sql, params = "title LIKE ? OR body LIKE ?", [f"%{word}%"] * 2
    else:
        sql, params = "instr(title, ?) > 0 OR instr(body, ?) > 0", [word, word]
    expected = {i for (i,) in query(db, f"SELECT id FROM articles WHERE {sql}", params)}
    assert {r["id"] for r in found} == expected and expected
    titled = [word in r["title"] for r in found]
    assert titled == sorted(titled, reverse=True)  # title hits first


def test_the_word_query_counts_as_trends_does(get, db):
    for word in ("反诈", "信访", "电信网络诈骗"):
        got = rows(get, f"/pingan/word_per_month.json?word={quote(word)}&_shape=array")
        with sqlite3.connect(db) as conn:
            result = trends(conn, [Series.of_word(word)], "month")
        expected = {r.period: (r.articles, r.total) for r in result.rows if r.total}
        assert {r["month"]: (r["articles"], r["total"]) for r in got} == expected


def dashboard_charts(get) -> dict:
    config = get("/-/metadata.json").json()["plugins"]["datasette-dashboards"]["archive"]
    return config["charts"]


def test_the_dashboard_queries_run_with_and_without_their_filters(get, db):
    charts = dashboard_charts(get)
    assert set(charts) == {"word", "volume", "sources", "editors", "reposts", "health"}
    page = get("/-/dashboards/archive?word=" + quote("反诈"))
    assert page.status_code == 200
    for chart in charts.values():
        assert chart["title"] in page.text
    options = {"word": "反诈", "site": "pasxw", "since": "2020-10-01", "until": "2021-03-31"}
    for filters in ({"word": "反诈"}, options):
        for slug, chart in charts.items():
            sql = replace_opts_in_query(chart["query"], filters)
            args = {k: v for k, v in filters.items() if f":{k}" in sql}
            got = rows(get, f"/pingan.json?{urlencode({'sql': sql, **args})}&_shape=array")
            assert got or slug in ("reposts", "health"), slug
    sql = replace_opts_in_query(charts["word"]["query"], options)
    got = rows(get, f"/pingan.json?{urlencode({'sql': sql, **options})}&_shape=array")
    expected = query(
        db,
        "SELECT substr(published_at, 1, 7), count(*) FROM articles WHERE site = 'pasxw' "
        "AND published_at >= '2020-10-01' AND published_at < '2021-04-01' "
        "AND (instr(title, '反诈') > 0 OR instr(body, '反诈') > 0) GROUP BY 1",
    )
    assert {r["month"]: r["articles"] for r in got if r["articles"]} == dict(expected)


def test_a_removed_articles_section_appears_once_recheck_has_data(db, tmp_path):
    copy = tmp_path / "pingan.db"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "INSERT INTO article_changes (article_id, kind, observed_at, http_status) "
            "SELECT id, 'removed', '2026-11-02T03:00:00+08:00', 404 FROM articles LIMIT 1"
        )
    from pingan_crawler.analysis.explore import metadata

    meta = metadata(copy)
    assert "changes" in meta["plugins"]["datasette-dashboards"]["archive"]["charts"]
    assert "changes_per_month" in meta["databases"]["pingan"]["queries"]
    assert "changes_per_month" not in metadata(db)["databases"]["pingan"]["queries"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_headless_chromium_draws_the_dashboard_from_the_local_server(db, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does)")
    port = free_port()
    proc = subprocess.Popen(
        [*PINGAN, "explore", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pingan explore did not start: {proc.communicate()[1][-2000:]!r}")
                time.sleep(0.3)
        netlog = tmp_path / "net.json"
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--virtual-time-budget=30000",
                f"--user-data-dir={tmp_path / 'profile'}",
                f"--log-net-log={netlog}",
                "--dump-dom",
                f"{base}/-/dashboards/archive?word={quote('反诈')}",
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    drawn = re.split(r'id="chart-(?!tooltip)', result.stdout)[1:]
    assert len(drawn) == 6 and all("<svg" in d or "<canvas" in d for d in drawn)
    log = json.loads(netlog.read_text("utf-8"))
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    asked = {
        e["params"]["url"]
        for e in log["events"]
        if kinds[e["type"]] == "URL_REQUEST_START_JOB"
        and e.get("params", {}).get("initiator") != "not an origin"
        and "url" in e.get("params", {})
    }
    assert asked and all(re.match(re.escape(base), u) for u in asked), asked
