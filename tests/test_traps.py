"""Crawler traps, on a site with no profile (``--start-url``): every trap within its bound,
counted from the trap server's own request log (tests/trapsite.py).

One shared crawl of the trap homepage serves most tests; the Retry-After section, the page of
200,000 links (SIGTERM while it is parsed) and a site whose only failures are nav links each
get their own short crawl.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import PINGAN, query
from trapsite import STORY_PAGES, TrapSite

ROOT = Path(__file__).parent.parent


def crawl(site: TrapSite, db: Path, path: str = "/", *settings: str, timeout: int = 180):
    sets = [arg for pair in settings for arg in ("-s", pair)]
    return subprocess.run(
        [*PINGAN, "crawl", "--start-url", site.url(path), "--db", str(db), *sets],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


class Run:
    def __init__(self, site: TrapSite, db: Path, result: subprocess.CompletedProcess):
        self.db, self.result = db, result
        self.paths = site.paths()
        self.offsite = site.offsite()
        self.base = site.base_url

    def requests(self, prefix: str) -> list[str]:
        return [p for p in self.paths if p.startswith(prefix)]

    def errors(self, path: str) -> list[tuple]:
        return query(
            self.db,
            "SELECT kind, detail, http_status FROM errors WHERE url = ?",
            (self.base + path,),
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    db = tmp_path_factory.mktemp("traps") / "traps.db"
    with TrapSite() as site:
        result = crawl(site, db)
        return Run(site, db, result)


@pytest.mark.slow
def test_the_trap_crawl_ends_on_its_own_without_a_traceback(run):
    assert run.result.returncode == 1, run.result.stderr  # the trap articles are errors
    assert "Traceback" not in run.result.stderr
    assert "(finished)" in run.result.stdout
    assert len(run.paths) <= 150  # before: 3,459 requests in 120 s, and still going
    [(reason, finished)] = query(run.db, "SELECT finish_reason, finished_at FROM crawls")
    assert reason == "finished" and finished


@pytest.mark.slow
def test_session_ids_on_every_link_stay_within_20_requests(run):
    assert len(run.requests("/sid/")) <= 20  # before: 1,095 in 120 s
    titles = {t for (t,) in query(run.db, "SELECT title FROM articles WHERE url LIKE '%/sid/%'")}
    assert titles == {f"会员专栏第{n}篇：网格员的一天" for n in range(1, 11)}  # nothing lost
    article_fetches = Counter(p.split("&")[0] for p in run.requests("/sid/show.asp"))
    assert max(article_fetches.values()) <= 2


@pytest.mark.slow
def test_an_endless_calendar_stops_where_its_pages_bring_nothing_new(run):
    requests = run.requests("/calendar/")
    days = [p for p in requests if p.count("/") == 2]
    assert len(requests) <= 100 and len(days) <= 3  # before: 2,268 requests, 288 days
    walks = dict(query(run.db, "SELECT section, reason FROM section_walks"))
    assert walks["值班日历"] == "nothing new"
    assert "sections stopped paging at pages that brought nothing new" in run.result.stdout


@pytest.mark.slow
def test_a_pager_that_repeats_itself_is_walked_for_two_list_pages(run):
    lists = run.requests("/notice/list.asp")
    assert lists == ["/notice/list.asp?page=1", "/notice/list.asp?page=2"]
    shows = Counter(run.requests("/notice/show.asp"))
    assert len(shows) == 6 and set(shows.values()) == {1}
    # The same, with article URLs that change from page to page (bodies that do not).
    assert len(run.requests("/bulletin/list.asp")) <= 2


@pytest.mark.slow
def test_no_section_starves_the_others(run):
    """The ordinary section is walked to its end whatever the traps beside it do."""
    walks = dict(query(run.db, "SELECT section, reason FROM section_walks"))
    assert walks["警情通报"] == "end of list"
    stored = query(run.db, "SELECT count(*) FROM articles WHERE url LIKE '%/jqtb/2024/06/0%'")
    assert stored == [(7,)]


@pytest.mark.slow
def test_redirects_off_the_site_or_off_the_web_are_refused_and_nothing_is_kept(run):
    assert run.offsite == []  # not even its robots.txt
    [(kind, detail, status)] = run.errors("/jqtb/2024/06/offsite.html")
    assert kind == "refused_redirect" and status == 302
    assert "off the site" in detail and "localhost" in detail
    for name, scheme in (("to_js", "javascript:"), ("to_file", "file:")):
        [(kind, detail, _status)] = run.errors(f"/jqtb/2024/06/{name}.html")
        assert kind == "refused_redirect" and scheme in detail
    stolen = query(run.db, "SELECT count(*) FROM snapshots WHERE url LIKE '%stolen%'")
    assert stolen == [(0,)]


@pytest.mark.slow
def test_a_meta_refresh_loop_leaves_an_error_row(run):
    [(kind, detail, _status)] = run.errors("/jqtb/2024/06/refresh_a.html")
    assert kind == "redirect_loop" and "meta refresh" in detail
    assert len(run.requests("/jqtb/2024/06/refresh_")) == 2


@pytest.mark.slow
def test_a_gzip_bomb_is_too_large_and_fetched_once(run):
    [(kind, detail, _status)] = run.errors("/jqtb/2024/06/bomb.html")
    assert kind == "too_large" and "DOWNLOAD_MAXSIZE" in detail
    assert len(run.requests("/jqtb/2024/06/bomb")) == 1


@pytest.mark.slow
def test_an_article_pager_claiming_1000_pages_is_cut_with_a_warning(run):
    fetched = run.requests("/jqtb/2024/06/story")
    assert len(fetched) == 30 < STORY_PAGES  # PINGAN_MAX_ARTICLE_PAGES; before: 200
    [(pages, warnings, body)] = query(
        run.db, "SELECT pages, warnings, body FROM articles WHERE url LIKE '%story.html'"
    )
    assert pages == 30 and "连载第30页" in body and "连载第31页" not in body
    assert any("cut at 30 pages" in w and "story_31" in w for w in json.loads(warnings))
    assert "1 multi-page articles cut at PINGAN_MAX_ARTICLE_PAGES" in run.result.stdout


@pytest.mark.slow
def test_nav_links_that_404_are_warnings_in_the_summary(run):
    for path in ("/xxgk/index.html", "/bsdt/index.html"):
        assert [r[0] for r in run.errors(path)] == ["http_status"]
    assert "2 of them warnings" in run.result.stdout


@pytest.mark.slow
def test_markup_and_sql_in_a_headline_and_deep_nesting_store_nothing_false(run):
    # Whatever the parser makes of these pages, each is one article or one error row, and
    # the text stays text: the archive is intact.
    for name in ("inject", "nested"):
        path = f"/jqtb/2024/06/{name}.html"
        stored = query(
            run.db, "SELECT count(*) FROM article_urls WHERE url = ?", (run.base + path,)
        )
        assert stored[0][0] + len(run.errors(path)) == 1, name
    assert query(run.db, "SELECT count(*) FROM sqlite_master WHERE name = 'articles'") == [(1,)]
    assert query(run.db, "PRAGMA integrity_check") == [("ok",)]


# -- their own crawls ---------------------------------------------------------------------
@pytest.mark.slow
def test_a_start_url_run_whose_only_failures_are_nav_links_exits_0(tmp_path):
    db = tmp_path / "plain.db"
    with TrapSite(home="plain") as site:
        result = crawl(site, db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 errors (2 of them warnings" in result.stdout
    assert query(db, "SELECT count(*) FROM articles") == [(7,)]
    kinds = query(db, "SELECT kind, count(*) FROM errors GROUP BY kind")
    assert kinds == [("http_status", 2)]


@pytest.mark.slow
def test_retry_after_of_an_hour_stops_the_site_and_is_never_retried(tmp_path):
    db = tmp_path / "limit.db"
    with TrapSite() as site:
        started = time.monotonic()
        result = crawl(site, db, "/limit/index.html")
        took = time.monotonic() - started
        asked = site.paths("/limit/2024/05/slow1")
    assert asked == ["/limit/2024/05/slow1.html"]  # before: retried after 120 s, three times
    assert took < 60
    assert result.returncode == 1
    assert "PAUSED" in result.stdout and "3600 s" in result.stdout
    [(reason,)] = query(db, "SELECT finish_reason FROM crawls")
    assert reason == "rate_limited"
    [(kind, detail)] = query(db, "SELECT kind, detail FROM errors WHERE url LIKE '%slow1%'")
    assert kind == "rate_limited" and "3600" in detail and "PINGAN_RETRY_AFTER_STOP" in detail


@pytest.mark.slow
def test_a_long_retry_after_below_the_stop_threshold_is_recorded_and_the_crawl_goes_on(tmp_path):
    db = tmp_path / "limit2.db"
    with TrapSite() as site:
        result = crawl(
            site,
            db,
            "/limit/index.html",
            "PINGAN_RETRY_AFTER_STOP=7200",
            "PINGAN_RETRY_MAX_WAIT=1",
        )
        asked = Counter(site.paths("/limit/2024/05/"))
    assert asked["/limit/2024/05/slow1.html"] == asked["/limit/2024/05/slow2.html"] == 1
    assert asked["/limit/2024/05/ok2.html"] == 1  # the rest of the site was crawled
    rows = query(db, "SELECT url, kind FROM errors ORDER BY url")
    assert [kind for _url, kind in rows] == ["rate_limited", "rate_limited"]
    assert query(db, "SELECT count(*) FROM articles") == [(2,)]
    assert "2 pages not retried: Retry-After over PINGAN_RETRY_MAX_WAIT" in result.stdout
    assert "(finished)" in result.stdout


@pytest.mark.slow
def test_sigterm_while_a_page_of_200000_links_is_parsed_stops_within_seconds(tmp_path):
    db = tmp_path / "huge.db"
    with TrapSite() as site:
        proc = subprocess.Popen(
            [*PINGAN, "crawl", "--start-url", site.url("/huge/index.html"), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while not site.paths("/huge/index.html") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)  # the page (11 MB) arrives and its links are being read
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert proc.returncode == 5, out + err
    assert took < 10, f"{took:.1f} s after SIGTERM"
    assert "Traceback" not in err
    [(reason, finished)] = query(db, "SELECT finish_reason, finished_at FROM crawls")
    assert reason == "interrupted" and finished
