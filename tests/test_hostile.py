"""The hostile site: every way a government site breaks, each case one errors row or a block.

One crawl of ``tests/fixtures/hostile`` (small size limit, timeout and backoff so it runs in
seconds) serves the per-case tests; each challenge vendor gets its own short crawl, since a
challenge stops the site.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from conftest import FIXTURES, PASXW, query, run_pingan
from scrapy.settings import Settings

from pingan_crawler.fixtureserver import FixtureServer

HOSTILE = FIXTURES / "hostile"
PROFILE = HOSTILE / "profile.toml"
BASE = "http://hostile.example"
MANIFEST = json.loads((HOSTILE / "routes.json").read_text("utf-8"))
TEST_SETTINGS = {
    "DOWNLOAD_MAXSIZE": "100000",  # huge.html is 132 kB
    "DOWNLOAD_TIMEOUT": "1",  # slow.html answers after 2.5 s
    "RETRY_TIMES": "1",
    "PINGAN_RETRY_BACKOFF": "0.3",
}


def crawl(db: Path, server: FixtureServer, **settings: str):
    sets = [arg for k, v in {**TEST_SETTINGS, **settings}.items() for arg in ("-s", f"{k}={v}")]
    return run_pingan(
        "crawl", str(PROFILE), "--db", str(db), "--base-url", server.base_url, *sets, db=db
    )


class Run:
    def __init__(self, db: Path, result, log: list[tuple[float, str, str]]):
        self.db, self.result, self.log = db, result, log

    def errors(self, name: str) -> list[tuple]:
        return query(
            self.db,
            "SELECT kind, detail, http_status, snapshot_id FROM errors WHERE url = ?",
            (f"{BASE}/news/{name}.html",),
        )

    def article(self, name: str) -> dict | None:
        rows = query(
            self.db,
            "SELECT a.title, a.published_at, a.published_raw, a.view_count, a.view_count_raw, "
            "a.warnings, a.charset, a.body FROM article_urls u JOIN articles a "
            "ON a.id = u.article_id WHERE u.url = ?",
            (f"{BASE}/news/{name}.html",),
        )
        names = "title published_at published_raw view_count view_count_raw warnings charset body"
        return dict(zip(names.split(), rows[0], strict=True)) if rows else None

    def fetch_times(self, path: str) -> list[float]:
        return [t for t, p, _ua in self.log if p == path]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    db = tmp_path_factory.mktemp("hostile") / "hostile.db"
    with FixtureServer(HOSTILE) as server:
        result = crawl(db, server)
        log = list(server.request_log)
    return Run(db, result, log)


def only_error(run: Run, name: str, kind: str) -> tuple:
    rows = run.errors(name)
    assert [r[0] for r in rows] == [kind], rows
    assert run.article(name) is None
    return rows[0]


# -- the run as a whole ---------------------------------------------------------------------
@pytest.mark.slow
def test_hostile_run_finishes_with_errors_exit_1(run):
    assert run.result.returncode == 1, run.result.stderr
    assert run.result.stdout.startswith("hostile: 2 sections")
    assert "(finished)" in run.result.stdout
    [(reason, errors, blocked)] = query(run.db, "SELECT finish_reason, errors, blocked FROM crawls")
    assert (reason, blocked) == ("finished", 0)
    assert errors == query(run.db, "SELECT count(*) FROM errors")[0][0]


@pytest.mark.slow
def test_every_listed_case_ends_as_its_expected_outcome(run):
    for name, outcome in MANIFEST["expected"].items():
        if outcome in ("article", "duplicate"):
            assert run.article(name) is not None, name
            assert run.errors(name) == [], name
        else:
            assert [r[0] for r in run.errors(name)] == [outcome], name


@pytest.mark.slow
def test_nothing_false_is_stored_as_an_article(run):
    rows = query(run.db, "SELECT url, title, body FROM articles")
    assert rows and all(title and body for _url, title, body in rows)
    urls = {u for (u,) in query(run.db, "SELECT url FROM article_urls")}
    assert f"{BASE}/" not in urls


# -- one test per hostile case -------------------------------------------------------------------
@pytest.mark.slow
def test_truncated_body_is_an_error(run):
    _kind, detail, _status, _snap = only_error(run, "truncated", "truncated")
    assert "Content-Length" in detail
    assert len(run.fetch_times("/news/truncated.html")) == 2  # retried once, then given up


@pytest.mark.slow
def test_utf8_header_on_gb2312_bytes_decodes_as_gbk(run):
    article = run.article("utf8_header")
    assert article["title"] == "镕铸平安：基层网格员的一天"
    assert "老喆" in article["body"]
    assert article["charset"] == "gb18030"
    assert any("utf-8" in w for w in json.loads(article["warnings"]))


@pytest.mark.slow
def test_gb2312_without_declaration_decodes(run):
    article = run.article("no_declaration")
    assert article["title"] == "平安村居创建工作通过验收"
    assert "满意度测评" in article["body"]


@pytest.mark.parametrize(("name", "what"), [("image", "PNG image"), ("report", "PDF document")])
@pytest.mark.slow
def test_binary_served_as_html_is_not_html(run, name, what):
    _kind, detail, status, snap = only_error(run, name, "not_html")
    assert what in detail and "text/html" in detail
    assert status == 200 and snap is not None


@pytest.mark.slow
def test_page_over_the_size_limit_is_too_large(run):
    _kind, detail, _status, _snap = only_error(run, "huge", "too_large")
    assert "100000" in detail and "DOWNLOAD_MAXSIZE" in detail


@pytest.mark.slow
def test_redirect_loop_is_reported_once(run):
    _kind, detail, status, _snap = only_error(run, "loop_a", "redirect_loop")
    assert status == 302
    assert f"{BASE}/news/loop_a.html → {BASE}/news/loop_b.html → {BASE}/news/loop_a.html" in detail


@pytest.mark.slow
def test_soft_404_with_js_redirect_is_not_an_article(run):
    _kind, detail, status, snap = only_error(run, "gone", "soft_404")
    assert status == 200 and snap is not None
    assert "redirects to '/'" in detail


@pytest.mark.slow
def test_homepage_reached_by_redirect_is_never_an_article(run):
    _kind, detail, _status, _snap = only_error(run, "moved", "soft_404")
    assert f"redirected to {BASE}/" in detail


@pytest.mark.slow
def test_empty_shell_is_not_an_article(run):
    _kind, detail, status, snap = only_error(run, "shell", "not_an_article")
    assert "no body" in detail and status == 200 and snap is not None


@pytest.mark.slow
def test_slower_than_the_timeout_is_a_timeout(run):
    _kind, detail, status, snap = only_error(run, "slow", "timeout")
    assert status is None and snap is None
    assert "1.0 seconds" in detail


@pytest.mark.slow
def test_500_then_success_is_stored_after_a_backoff(run):
    assert run.article("flaky")["title"] == "一次服务器错误后恢复的新闻"
    assert run.errors("flaky") == []
    first, second = run.fetch_times("/news/flaky.html")
    assert second - first >= 0.3  # PINGAN_RETRY_BACKOFF


@pytest.mark.slow
def test_429_waits_for_retry_after(run):
    assert run.article("busy")["title"] == "限流后恢复的新闻"
    first, second = run.fetch_times("/news/busy.html")
    assert second - first >= 1.0  # Retry-After: 1, longer than the backoff


@pytest.mark.slow
def test_date_0000_is_null_with_raw_and_warning(run):
    article = run.article("date_zero")
    assert article["published_at"] is None
    assert article["published_raw"] == "0000-00-00 00:00:00"
    assert any("impossible date" in w for w in json.loads(article["warnings"]))


@pytest.mark.slow
def test_date_2099_is_null_with_raw_and_warning(run):
    article = run.article("date_future")
    assert article["published_at"] is None
    assert article["published_raw"].startswith("2099-12-31")
    assert any("future" in w for w in json.loads(article["warnings"]))


@pytest.mark.slow
def test_two_digit_year_is_read_with_a_warning(run):
    article = run.article("date_2digit")
    assert article["published_at"] == "2014-01-09T00:00:00+08:00"
    assert article["published_raw"] == "14-01-09"
    assert any("two-digit year" in w for w in json.loads(article["warnings"]))


@pytest.mark.parametrize(("name", "raw"), [("views_negative", "-5次"), ("views_abc", "abc次")])
@pytest.mark.slow
def test_bad_view_count_is_null_with_raw_and_warning(run, name, raw):
    article = run.article(name)
    assert article["view_count"] is None and article["view_count_raw"] == raw
    assert any("not a non-negative integer" in w for w in json.loads(article["warnings"]))


@pytest.mark.slow
def test_empty_view_count_is_null_without_warning(run):
    article = run.article("views_empty")
    assert article["view_count"] is None
    assert json.loads(article["warnings"]) == []


@pytest.mark.slow
def test_empty_title_is_not_an_article(run):
    _kind, detail, _status, snap = only_error(run, "no_title", "not_an_article")
    assert "no title" in detail and snap is not None


@pytest.mark.slow
def test_all_nav_page_is_not_an_article(run):
    _kind, detail, _status, snap = only_error(run, "all_nav", "not_an_article")
    assert "no body" in detail and snap is not None
    [(warnings,)] = query(
        run.db, "SELECT warnings FROM errors WHERE url = ?", (f"{BASE}/news/all_nav.html",)
    )
    assert "#content" in warnings  # the parser's warnings are kept with the error


@pytest.mark.slow
def test_same_article_under_two_urls_is_one_article(run):
    a, b = run.article("same_a"), run.article("same_b")
    assert a == b
    [(n,)] = query(run.db, "SELECT count(*) FROM articles WHERE title = '同一篇新闻的两个地址'")
    assert n == 1


@pytest.mark.slow
def test_robots_disallowed_section_is_not_fetched(run):
    [(kind, detail)] = query(
        run.db, "SELECT kind, detail FROM errors WHERE url = ?", (f"{BASE}/neibu/index.html",)
    )
    assert kind == "robots_disallowed" and "robots.txt" in detail
    assert not [p for _t, p, _ua in run.log if p.startswith("/neibu/")]


@pytest.mark.slow
def test_missing_page_is_an_http_status_error(run):
    _kind, detail, status, snap = only_error(run, "missing", "http_status")
    assert status == 404 and "404" in detail
    assert snap is not None  # the 404 page arrived, so it is kept


@pytest.mark.slow
def test_robots_first_and_an_honest_user_agent(run):
    assert run.log[0][1] == "/robots.txt"
    agents = {ua for _t, _p, ua in run.log}
    assert len(agents) == 1
    [agent] = agents
    assert agent.startswith("pingan-crawler/") and "contact:" in agent


@pytest.mark.slow
def test_pingan_errors_lists_the_run_by_kind(run):
    result = run_pingan("errors", "--db", str(run.db), db=run.db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("crawl #1 hostile") and "(finished)" in lines[0]
    kinds = {
        line.split()[0]: int(line.split()[1])
        for line in lines
        if line.startswith("  ") and not line.startswith("   ")
    }
    assert kinds["not_an_article"] == 3 and kinds["not_html"] == 2 and kinds["soft_404"] == 2
    assert set(kinds) == {
        "not_an_article",
        "not_html",
        "soft_404",
        "http_status",
        "redirect_loop",
        "robots_disallowed",
        "timeout",
        "too_large",
        "truncated",
    }
    assert f"{BASE}/news/shell.html" in result.stdout
    missing = run_pingan("errors", "--crawl", "99", "--db", str(run.db), db=run.db)
    assert missing.returncode == 2 and "no crawl #99" in missing.stderr


# -- challenges: each stops the site ---------------------------------------------------------------
def blocked_run(tmp_path: Path, path: str, challenge: str) -> Run:
    db = tmp_path / "blocked.db"
    with FixtureServer(HOSTILE) as server:
        server.serve_as(path, challenge)
        # One request at a time, a short delay: nothing is in flight when the challenge lands.
        result = crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN="1", DOWNLOAD_DELAY="0.2")
        log = list(server.request_log)
    return Run(db, result, log)


def assert_blocked(run: Run, vendor: str, url: str, status: int | None) -> None:
    assert run.result.returncode == 3, run.result.stderr
    assert f"BLOCKED by {vendor} at {url}" in run.result.stdout
    assert "(blocked)" in run.result.stdout
    [(reason, blocked, blocked_by)] = query(
        run.db, "SELECT finish_reason, blocked, blocked_by FROM crawls"
    )
    assert (reason, blocked, blocked_by) == ("blocked", 1, vendor)
    [(kind, detail, http_status, snap)] = query(
        run.db,
        "SELECT kind, detail, http_status, snapshot_id FROM errors WHERE kind LIKE 'blocked:%'",
    )
    assert kind == f"blocked:{vendor}" and http_status == status
    assert "not retried" in detail and url in detail
    assert query(run.db, "SELECT count(*) FROM articles WHERE url = ?", (url,)) == [(0,)]
    if status is not None:  # the challenge page is kept, byte for byte
        [(data,)] = query(
            run.db,
            "SELECT b.data FROM snapshots s JOIN snapshot_bodies b USING (sha256) WHERE s.id = ?",
            (snap,),
        )
        assert (
            zlib.decompress(data)
            == (HOSTILE / MANIFEST["routes"][f"/challenge/{vendor}"]["file"]).read_bytes()
        )


@pytest.mark.slow
def test_ruishu_412_challenge_blocks_the_site(tmp_path):
    # missing.html is the first article the crawl asks for
    run = blocked_run(tmp_path, "/news/missing.html", "/challenge/ruishu")
    assert_blocked(run, "ruishu", f"{BASE}/news/missing.html", 412)
    paths = [p for _t, p, _ua in run.log]
    assert paths.count("/news/missing.html") == 1  # never retried
    assert paths[-1] == "/news/missing.html"  # and nothing fetched after it
    assert query(run.db, "SELECT count(*) FROM articles") == [(0,)]


@pytest.mark.slow
def test_jiasule_521_challenge_on_a_list_page_blocks_the_site(tmp_path):
    run = blocked_run(tmp_path, "/news/index.html", "/challenge/jiasule")
    assert_blocked(run, "jiasule", f"{BASE}/news/index.html", 521)
    assert [p for _t, p, _ua in run.log] == ["/robots.txt", "/news/index.html"]


@pytest.mark.slow
def test_yunsuo_verify_redirect_blocks_the_site(tmp_path):
    run = blocked_run(tmp_path, "/news/missing.html", "/challenge/yunsuo_redirect")
    assert_blocked(run, "yunsuo", f"{BASE}/news/missing.html", None)
    assert not [p for _t, p, _ua in run.log if "security_verify_data" in p]  # never followed


@pytest.mark.slow
def test_robots_txt_answered_by_a_challenge_blocks_the_site(tmp_path):
    run = blocked_run(tmp_path, "/robots.txt", "/challenge/ruishu")
    assert_blocked(run, "ruishu", f"{BASE}/robots.txt", 412)
    assert [p for _t, p, _ua in run.log] == ["/robots.txt"]


# -- readers during a crawl ----------------------------------------------------------------------
@pytest.mark.slow
def test_readers_hammering_during_a_crawl_never_see_database_is_locked(tmp_path):
    """An analyst's queries (plain sqlite3, default settings) while a crawl writes."""
    db = tmp_path / "busy.db"
    stop = threading.Event()
    reads: list[int] = []
    failures: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                with sqlite3.connect(db) as conn:
                    conn.execute(
                        "SELECT count(*), max(length(body)) FROM articles a "
                        "JOIN snapshots s ON s.id = a.snapshot_id"
                    ).fetchall()
                    conn.execute("SELECT kind, count(*) FROM errors GROUP BY kind").fetchall()
                reads.append(1)
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):  # the crawl has not created it yet
                    failures.append(str(exc))
            stop.wait(0.005)  # an eager analyst, not a CPU hog on a 2-core machine

    with FixtureServer(PASXW, delay=0.02) as server:
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for thread in readers:
            thread.start()
        try:
            result = run_pingan(
                "crawl", "pasxw", "--db", str(db), "--base-url", server.base_url, db=db
            )
        finally:
            stop.set()
            for thread in readers:
                thread.join()
    assert result.returncode == 0, result.stderr
    assert failures == []
    assert len(reads) > 50
    assert query(db, "SELECT count(*) FROM articles")[0][0] > 60


# -- politeness defaults ---------------------------------------------------------------------------
def test_polite_defaults_and_middleware_order():
    settings = Settings()
    settings.setmodule("pingan_crawler.settings", priority="project")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("RETRY_TIMES") >= 2
    assert 0 < settings.getfloat("PINGAN_RETRY_MAX_WAIT") <= 600
    order = {
        name.rsplit(".", 1)[-1]: number
        for name, number in settings.getwithbase("DOWNLOADER_MIDDLEWARES").items()
        if number is not None
    }
    assert "RetryMiddleware" not in order  # replaced by PoliteRetry
    # Responses pass from high numbers to low: the guard sees 3xx before they are followed, the
    # detector sees decompressed bodies before anything could retry them.
    assert order["RedirectGuard"] > order["RedirectMiddleware"]
    assert order["HttpCompressionMiddleware"] > order["BlockDetection"] > order["PoliteRetry"]


def test_user_agent_names_the_contact():
    code = "from pingan_crawler import settings; print(settings.USER_AGENT)"
    env = {**os.environ, "PINGAN_CONTACT": "archive@example.org"}
    agent = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    assert agent == "pingan-crawler/0.1 (news archive for research; contact: archive@example.org)"


def test_bad_setting_or_profile_path_is_a_usage_error(tmp_path):
    db = tmp_path / "u.db"
    bad_set = run_pingan("crawl", str(PROFILE), "-s", "timeout=1", "--db", str(db), db=db)
    assert bad_set.returncode == 2 and "NAME=VALUE" in bad_set.stderr
    missing = tmp_path / "nowhere.toml"
    no_file = run_pingan("crawl", str(missing), "--db", str(db), db=db)
    assert no_file.returncode == 2 and str(missing) in no_file.stderr


@pytest.mark.slow
def test_429_pauses_the_whole_site_for_retry_after(tmp_path):
    db = tmp_path / "paused.db"
    with FixtureServer(HOSTILE) as server:
        # the first article asked for answers 429 + Retry-After: 1 once; many requests follow
        server.serve_as("/news/missing.html", "/news/busy.html")
        result = crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN="1", DOWNLOAD_DELAY="0.05")
        log = list(server.request_log)
    assert result.returncode == 1, result.stderr
    [refused_at] = [t for t, p, _ua in log if p == "/news/missing.html"][:1]
    soon_after = [p for t, p, _ua in log if refused_at < t < refused_at + 0.9]
    assert len(soon_after) <= 1, soon_after  # at most one request already on its way
    assert len([t for t, p, _ua in log if t > refused_at]) > 3  # the crawl went on after


@pytest.mark.slow
def test_robots_txt_failing_with_5xx_stops_the_site(tmp_path):
    """RFC 9309: robots.txt unreachable through server errors means complete disallow."""
    db = tmp_path / "robots5xx.db"
    with FixtureServer(HOSTILE) as server:
        server.routes["/robots.txt"] = {"status": 503, "headers": {"Content-Type": "text/html"}}
        result = crawl(db, server)
        paths = [p for _t, p, _ua in server.request_log]
    assert result.returncode == 1, result.stderr
    assert "(robots_unavailable)" in result.stdout
    assert paths == ["/robots.txt", "/robots.txt"]  # retried once (RETRY_TIMES=1), nothing else
    [(kind, status, detail)] = query(db, "SELECT kind, http_status, detail FROM errors")
    assert (kind, status) == ("robots_disallowed", 503) and "RFC 9309" in detail
    assert query(db, "SELECT finish_reason, blocked FROM crawls") == [("robots_unavailable", 0)]
