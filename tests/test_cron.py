"""Cron-grade runs: incremental growth, locks, SIGTERM, SIGKILL, status, view refreshes."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PASXW, PINGAN, expected_articles, query, run_pingan

from pingan_crawler.fixtureserver import FixtureServer
from pingan_crawler.lock import crawl_lock, lock_path

ALL = len(expected_articles()) - 1  # one repost merges into its original


def crawl(db: Path, server: FixtureServer, *extra: str) -> subprocess.CompletedProcess:
    return run_pingan(
        "crawl", "pasxw", "--db", str(db), "--base-url", server.base_url, *extra, db=db
    )


def start_crawl(db: Path, server: FixtureServer, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*PINGAN, "crawl", "pasxw", "--db", str(db), "--base-url", server.base_url, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )


def wait_for_articles(db: Path, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            [(n,)] = query(db, "SELECT count(*) FROM articles")
            if n >= at_least:
                return n
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} articles after {timeout}s")


def grow_site(site: Path, server: FixtureServer, count: int = 2) -> list[str]:
    """Publish ``count`` new articles on 平安资讯's first list page, as a real site does."""
    routes = json.loads((site / "routes.json").read_text("utf-8"))["routes"]
    template = (site / routes["/index.asp?bh=2020128154217922"]["file"]).read_bytes().decode("gbk")
    list_file = site / routes["/list.asp?lb=1"]["file"]
    listing = list_file.read_bytes().decode("gbk")
    new_paths = []
    for n in range(count):
        bh = f"20211231{n}0000{n}00"
        text = (
            f"绍兴新增平安示范村{n + 1}个，群众安全感满意度持续提升，"
            f"网格员每日走访排查隐患{n + 5}处。"
        )
        page = re.sub(r'(<div class="news_title">).*?(</div>)', rf"\g<1>新闻{n}\g<2>", template)
        page = re.sub(
            r'(id="zoom">).*?(</div>\r\n<div class="news_ly">)',
            rf"\g<1><p>{text * 3}</p>\g<2>",
            page,
            flags=re.S,
        )
        (site / "site" / f"new_{bh}.html").write_bytes(page.encode("gbk"))
        path = f"/index.asp?bh={bh}"
        server.add_route(path, f"site/new_{bh}.html", {"Content-Type": "text/html"})
        listing = listing.replace(
            '<ul class="list">\r\n',
            f'<ul class="list">\r\n<li><a href="index.asp?bh={bh}">新闻{n}</a></li>\r\n',
        )
        new_paths.append(path)
    list_file.write_bytes(listing.encode("gbk"))
    return new_paths


@pytest.fixture
def site(tmp_path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(PASXW, copy)
    return copy


@pytest.mark.slow
def test_second_run_fetches_only_what_is_new(site, tmp_path):
    db = tmp_path / "a.db"
    with FixtureServer(site) as server:
        assert crawl(db, server).returncode == 0
        new_paths = grow_site(site, server)
        server.requests.clear()
        result = crawl(db, server)
        fetched = [path for _m, path in server.requests]
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # quiet: one summary line
    lists = [p for p in fetched if p.startswith("/list.asp")]
    articles = [p for p in fetched if p.startswith("/index.asp")]
    # Each section's first page; 平安资讯's second page too, since its first one had news.
    assert sorted(lists) == sorted(
        [f"/list.asp?lb={n}" for n in range(1, 9)] + ["/list.asp?lb=1&page=2"]
    )
    assert sorted(articles) == sorted(new_paths)
    [(new, requests)] = query(db, "SELECT articles_new, requests FROM crawls WHERE id = 2")
    assert new == 2
    assert requests == len(fetched)
    assert query(db, "SELECT count(*) FROM articles") == [(ALL + 2,)]
    assert query(db, "SELECT blocked FROM crawls WHERE id = 2") == [(0,)]


@pytest.mark.slow
def test_max_pages_and_since_bound_a_backfill(tmp_path):
    db = tmp_path / "b.db"
    with FixtureServer(PASXW) as server:
        result = crawl(db, server, "--max-pages", "1", "--since", "2021-01-01")
        fetched = [p for _m, p in server.requests]
    assert result.returncode == 0, result.stderr
    assert len([p for p in fetched if p.startswith("/list.asp")]) == 8
    [(oldest, n)] = query(db, "SELECT min(published_at), count(*) FROM articles")
    assert oldest >= "2021-01-01"
    assert 0 < n < ALL


def test_overlapping_run_exits_at_once_naming_the_holder(tmp_path):
    db = tmp_path / "c.db"
    with FixtureServer(PASXW) as server, crawl_lock(db, "pasxw"):
        started = time.monotonic()
        result = crawl(db, server)
        assert time.monotonic() - started < 30
        assert server.requests == []
    assert result.returncode == 4
    assert f"process {os.getpid()} on " in result.stderr and "wait for it" in result.stderr


@pytest.mark.slow
def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    db = tmp_path / "d.db"
    lock_path(db, "pasxw").write_text('{"pid": 999999, "host": "gone", "site": "pasxw"}')
    with FixtureServer(PASXW) as server:
        result = crawl(db, server)
    assert result.returncode == 0, result.stderr
    assert "took over the stale lock" in result.stderr and "999999" in result.stderr
    assert lock_path(db, "pasxw").read_text() == ""


@pytest.mark.slow
def test_sigterm_commits_and_records_an_interrupted_run(tmp_path):
    db = tmp_path / "e.db"
    with FixtureServer(PASXW, delay=0.4) as server:
        proc = start_crawl(db, server)
        wait_for_articles(db, 3)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 5
    [(reason, finished)] = query(db, "SELECT finish_reason, finished_at FROM crawls")
    assert reason == "interrupted" and finished
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    with FixtureServer(PASXW) as server:
        assert crawl(db, server).returncode == 0
    assert query(db, "SELECT count(*) FROM articles") == [(ALL,)]


def wait_for_crawl_row(db: Path, crawl_id: int, timeout: float = 60) -> None:
    """Until run ``crawl_id`` has begun (its ``crawls`` row is committed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if query(db, "SELECT 1 FROM crawls WHERE id = ?", (crawl_id,)):
                return
        except sqlite3.OperationalError:
            pass  # the schema is not there yet
        time.sleep(0.02)
    raise AssertionError(f"crawl #{crawl_id} did not start within {timeout}s")


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path):
    db = tmp_path / "f.db"
    rng = random.Random(4)
    committed: set[str] = set()
    kills = round_ = 0
    with FixtureServer(PASXW, delay=0.3) as server:
        while kills < 10 and round_ < 14:
            round_ += 1
            # Alternate incremental runs (which resume) with full ones (which last long enough
            # to be killed late in the walk).
            proc = start_crawl(db, server, *(["--full"] if round_ % 2 == 0 else []))
            wait_for_crawl_row(db, round_)
            time.sleep(rng.uniform(0.0, 1.5))  # a random moment of the crawl
            if proc.poll() is None:
                kills += 1
            proc.kill()
            proc.communicate(timeout=30)
            assert query(db, "PRAGMA integrity_check") == [("ok",)]
            # Under load a kill may land before the archive's schema exists: nothing committed.
            tables = {t for (t,) in query(db, "SELECT name FROM sqlite_master")}
            urls = (
                {u for (u,) in query(db, "SELECT url FROM article_urls")}
                if "article_urls" in tables
                else set()
            )
            assert committed <= urls  # nothing committed before a kill vanished
            committed = urls
            # every article still has its snapshot and its body
            assert query(
                db,
                "SELECT count(*) FROM articles a LEFT JOIN snapshots s ON s.id = a.snapshot_id "
                "LEFT JOIN snapshot_bodies b ON b.sha256 = s.sha256 WHERE b.sha256 IS NULL",
            ) == [(0,)]
    assert kills >= 10
    with FixtureServer(PASXW) as server:
        final = crawl(db, server)
    assert final.returncode == 0, final.stderr
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ALL, ALL)]
    assert query(db, "SELECT count(*) FROM article_urls") == [(ALL + 1,)]
    assert query(db, "SELECT count(*), count(DISTINCT content_hash) FROM articles") == [(ALL, ALL)]


def test_status_reports_each_site(demo_db, tmp_path):
    result = run_pingan("status", "--db", str(demo_db), db=demo_db)
    assert result.returncode == 0
    line = result.stdout.strip()
    assert line.startswith("pasxw: last run #1")
    assert f"{ALL} articles archived" in line
    assert "newest 2021-" in line
    assert "(finished)" in line


@pytest.mark.slow
def test_refresh_views_adds_a_reading_per_recent_article(demo_db_copy):
    before = query(demo_db_copy, "SELECT count(*) FROM view_counts")[0][0]
    with FixtureServer(PASXW) as server:
        result = run_pingan(
            "refresh-views",
            "pasxw",
            "--days",
            "100000",
            "--base-url",
            server.base_url,
            "--db",
            str(demo_db_copy),
            db=demo_db_copy,
        )
        fetched = [p for _m, p in server.requests if p != "/robots.txt"]
    assert result.returncode == 0, result.stderr
    assert all(p.startswith("/index.asp?bh=") for p in fetched)
    assert len(fetched) == ALL
    after = query(demo_db_copy, "SELECT count(*) FROM view_counts")[0][0]
    assert after == before + ALL
    seed = query(
        demo_db_copy,
        "SELECT v.count FROM view_counts v JOIN articles a ON a.id = "
        "v.article_id WHERE a.url LIKE '%bh=2020128154217922'",
    )
    assert seed == [(1154,), (1154,)]


@pytest.mark.slow
def test_crawl_writes_a_log_file_next_to_the_archive(tmp_path):
    db = tmp_path / "g.db"
    with FixtureServer(PASXW) as server:
        assert crawl(db, server, "--max-pages", "1").returncode == 0
    [log] = (tmp_path / "logs").glob("crawl-*-pasxw.log")
    assert "Spider closed (finished)" in log.read_text("utf-8")


def test_bad_arguments_exit_2(tmp_path):
    db = tmp_path / "h.db"
    assert run_pingan("crawl", "--db", str(db), db=db).returncode == 2
    assert (
        run_pingan("crawl", "pasxw", "--since", "yesterday", "--db", str(db), db=db).returncode == 2
    )
