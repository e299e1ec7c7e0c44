"""The commands' edges (issue 14, items 13 and 14): nonsense numbers refused, outputs never
overwritten by surprise, warnings where a user exposes the archive, readable lock messages,
``pingan errors`` over a whole multi-site run, ``refresh-views`` on archived sites only, a
second SIGTERM still an interruption, and ``scrapy crawl`` as good as ``pingan crawl``."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import PASXW, PINGAN, query, run_pingan

from pingan_crawler.cli.main import main
from pingan_crawler.crawl.args import CrawlArgs
from pingan_crawler.errorreport import errors_report
from pingan_crawler.fixtureserver import FixtureServer
from pingan_crawler.lock import LockHeld, crawl_lock, describe_holder, lock_path
from pingan_crawler.storage import Archive

ROOT = Path(__file__).parent.parent


def cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse refusing an option
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def archive(tmp_path) -> Path:
    db = tmp_path / "pingan.db"
    Archive(db).close()
    return db


# -- numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["-1", "0", "abc", "2.5", ""])
def test_max_pages_that_is_no_page_count_is_refused(value, tmp_path, capsys):
    code, _out, err = cli(capsys, "crawl", "pasxw", "--max-pages", value, "--db", str(tmp_path))
    assert code == 2
    assert f"argument --max-pages: {value!r} is not a whole number 1 or more" in err
    assert not list(tmp_path.iterdir())  # nothing was opened or crawled


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["refresh-views", "--days", "-3"], "argument --days: '-3' is not a whole number"),
        (["search", "x", "--limit", "0"], "argument --limit: '0' is not a whole number"),
        (["errors", "--examples", "-1"], "argument --examples: '-1' is not a whole number"),
        (["explore", "--port", "70000"], "'70000' is not a whole number from 1 to 65535"),
        (["crawl", "pasxw", "--redis", "r", "--max-idle", "-5"], "not a number of seconds"),
    ],
)
def test_other_nonsense_numbers_are_refused_by_name(args, words, capsys):
    code, _out, err = cli(capsys, *args)
    assert code == 2 and words in err


def test_scrapy_arguments_refuse_a_page_count_of_zero():
    with pytest.raises(ValueError, match=r"max_pages='0' is not a whole number \(1 or more\)"):
        CrawlArgs.from_strings(site="pasxw", max_pages="0")


# -- outputs ----------------------------------------------------------------------------------
def test_export_never_overwrites_a_file_without_force(archive, tmp_path, capsys):
    out = tmp_path / "articles.csv"
    out.write_text("my notes")
    code, _o, err = cli(capsys, "export", "--format", "csv", "-o", str(out), "--db", str(archive))
    assert code == 2
    assert (
        err.strip()
        == f"pingan export: {out} exists: give --force to overwrite it, or another file name"
    )
    assert out.read_text() == "my notes"
    code, _o, err = cli(
        capsys, "export", "--format", "csv", "-o", str(out), "--force", "--db", str(archive)
    )
    assert code == 0 and out.read_text("utf-8-sig").startswith("id,")


def test_export_does_not_follow_a_symlink_without_force(archive, tmp_path, capsys):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    code, _o, err = cli(capsys, "export", "--format", "csv", "-o", str(link), "--db", str(archive))
    assert code == 2 and "is a symbolic link" in err and "--force" in err
    assert target.read_text() == "keep me"


def test_export_to_a_directory_says_it_is_one(archive, tmp_path, capsys):
    code, _o, err = cli(
        capsys, "export", "--format", "jsonl", "-o", str(tmp_path), "--db", str(archive)
    )
    assert code == 2
    [line] = err.strip().splitlines()
    assert line == (
        f"pingan export: {tmp_path} is a directory: give a file name inside it (-o {tmp_path}/FILE)"
    )


def test_report_and_chart_never_overwrite_a_file_without_force(archive, tmp_path, capsys):
    page = tmp_path / "report.html"
    page.write_text("my notes")
    code, _o, err = cli(capsys, "report", "-o", str(page), "--db", str(archive))
    assert code == 2 and "exists: give --force" in err
    assert page.read_text() == "my notes"
    chart = tmp_path / "trend.svg"
    chart.write_text("my chart")
    code, _o, err = cli(capsys, "trends", "平安", "--chart", str(chart), "--db", str(archive))
    assert code == 2 and "exists: give --force" in err
    assert chart.read_text() == "my chart"


def test_warc_never_overwrites_a_file_without_force(archive, tmp_path, capsys):
    out = tmp_path / "pages.warc.gz"
    out.write_bytes(b"old")
    code, _o, err = cli(capsys, "warc", str(out), "--db", str(archive))
    assert code == 2 and "exists: give --force" in err
    assert out.read_bytes() == b"old"


def test_explore_on_every_interface_warns_that_it_exposes_the_archive(archive, capsys, monkeypatch):
    pytest.importorskip("datasette", reason="explore needs the [explore] extra")
    import pingan_crawler.analysis.explore as explore

    served = []
    monkeypatch.setattr(explore, "serve", lambda db, host, port: served.append(host))
    code, _o, err = cli(capsys, "explore", "--host", "0.0.0.0", "--db", str(archive))
    assert code == 0 and served == ["0.0.0.0"]
    assert "WARNING: --host 0.0.0.0 serves the whole archive" in err
    code, _o, err = cli(capsys, "explore", "--db", str(archive))
    assert code == 0 and "WARNING" not in err


# -- locks ------------------------------------------------------------------------------------
def test_lock_holders_are_described_in_words():
    holder = {"pid": 4242, "host": "db1", "since": "2026-11-30T03:00:00+08:00", "site": "pasxw"}
    assert describe_holder(holder) == "process 4242 on db1, since 2026-11-30T03:00:00+08:00"
    assert describe_holder({"unreadable": "garbage"}) == (
        "an unknown holder (the lock file said 'garbage')"
    )
    assert describe_holder("") == "an unknown holder"


def test_the_stale_lock_message_is_a_sentence(capsys):
    from pingan_crawler.cli.crawling import stale_lock_taken

    stale_lock_taken("pasxw", {"pid": 999999, "host": "gone", "site": "pasxw"})
    err = capsys.readouterr().err.strip()
    assert err == (
        "pingan crawl: took over the stale lock of pasxw: process 999999 on gone held it "
        "and is gone (killed, or its machine restarted)"
    )
    assert "{" not in err


def test_a_held_lock_names_its_holder_in_words(tmp_path):
    db = tmp_path / "x.db"
    with crawl_lock(db, "pasxw"), pytest.raises(LockHeld) as held, crawl_lock(db, "pasxw"):
        pass
    message = str(held.value)
    assert f"process {os.getpid()} on " in message and "{" not in message
    assert str(lock_path(db, "pasxw")) in message and "wait for it to finish" in message


# -- pingan errors over a run of several sites --------------------------------------------
def _crawl_row(db, site, started, finished, kinds, worker=None):
    with sqlite3.connect(db) as conn:
        crawl_id = conn.execute(
            "INSERT INTO crawls (site, started_at, finished_at, finish_reason, args) "
            "VALUES (?, ?, ?, 'finished', '{}')",
            (site, started, finished),
        ).lastrowid
        for n, kind in enumerate(kinds):
            conn.execute(
                "INSERT INTO errors (crawl_id, at, url, kind, detail) VALUES (?, ?, ?, ?, ?)",
                (crawl_id, started, f"http://{site}/{n}.html", kind, f"{kind} at {n}"),
            )
    return crawl_id


def test_errors_shows_every_site_of_the_last_run(archive):
    day = "2026-11-30T"
    _crawl_row(archive, "pasxw", f"{day}01:00:00+08:00", f"{day}01:10:00+08:00", ["timeout"])
    # crawl --all: the sites run side by side, each its own row
    _crawl_row(archive, "pasxw", f"{day}03:00:00+08:00", f"{day}03:20:00+08:00", ["soft_404"])
    _crawl_row(archive, "trs", f"{day}03:00:01+08:00", f"{day}03:05:00+08:00", [])
    last = _crawl_row(
        archive, "hanweb", f"{day}03:00:02+08:00", f"{day}03:02:00+08:00", ["http_status"] * 2
    )
    with Archive(archive) as opened:
        lines = errors_report(opened)
        one = errors_report(opened, last)
    text = "\n".join(lines)
    assert lines[0] == "last run: 3 sites (crawls #2–#4), 3 errors"
    for site in ("pasxw", "trs", "hanweb"):
        assert re.search(rf"^crawl #\d {site} ", text, re.M), site
    assert "soft_404" in text and "http_status" in text
    assert "timeout" not in text  # the earlier run is not part of it
    assert one[0].startswith(f"crawl #{last} hanweb") and "soft_404" not in "\n".join(one)


def test_errors_of_a_single_site_run_stay_as_they_were(archive):
    _crawl_row(archive, "pasxw", "2026-11-30T01:00:00+08:00", "2026-11-30T01:10:00+08:00", [])
    _crawl_row(
        archive, "trs", "2026-11-30T05:00:00+08:00", "2026-11-30T05:01:00+08:00", ["timeout"]
    )
    with Archive(archive) as opened:
        lines = errors_report(opened)
    assert lines[0].startswith("crawl #2 trs ") and lines[0].endswith("1 error")


# -- runs ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_refresh_views_without_names_reads_only_sites_the_archive_holds(demo_db_copy, tmp_path):
    with FixtureServer(PASXW) as server:
        result = run_pingan(
            "refresh-views",
            "--days",
            "100000",
            "--base-url",
            server.base_url,
            "--db",
            str(demo_db_copy),
            db=demo_db_copy,
        )
    assert result.returncode == 0, result.stderr
    assert re.match(r"pasxw: 67 view readings of recent articles, 6\d pages fetched", result.stdout)
    assert query(demo_db_copy, "SELECT site FROM crawls ORDER BY id") == [("pasxw",), ("pasxw",)]
    empty = tmp_path / "empty.db"
    Archive(empty).close()
    nothing = run_pingan("refresh-views", "--db", str(empty), db=empty)
    assert nothing.returncode == 0
    assert "holds no articles of a profile site yet" in nothing.stderr
    assert query(empty, "SELECT count(*) FROM crawls") == [(0,)]


@pytest.mark.slow
def test_a_second_sigterm_is_still_an_interruption_with_a_finished_row(tmp_path):
    db = tmp_path / "twice.db"
    with FixtureServer(PASXW, delay=0.3) as server:
        proc = subprocess.Popen(
            [*PINGAN, "crawl", "pasxw", "--db", str(db), "--base-url", server.base_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while len(server.requests) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 5, out + err
    assert "(interrupted)" in out and "(?)" not in out
    [(reason, finished)] = query(db, "SELECT finish_reason, finished_at FROM crawls")
    assert reason == "interrupted" and finished


def scrapy_crawl(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "pingan", *args, "-s", f"PINGAN_DB={db}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_scrapy_crawl_of_a_loopback_mirror_goes_fast_and_prints_the_summary(tmp_path):
    db = tmp_path / "s.db"
    with FixtureServer(PASXW) as server:
        started = time.monotonic()
        result = scrapy_crawl("-a", "site=pasxw", "-a", f"base_url={server.base_url}", db=db)
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert took < 45, f"{took:.0f} s (one second per page would be 90 s)"
    [line] = [line for line in result.stdout.splitlines() if line.startswith("pasxw:")]
    assert line == (
        f"pasxw: 8 sections, 90 pages fetched, 67 articles stored, 0 updated, "
        f"1 duplicates merged, 0 errors (finished) → {db}"
    )


def test_scrapy_crawl_of_an_unknown_site_is_one_line(tmp_path):
    result = scrapy_crawl("-a", "site=nosuch", db=tmp_path / "n.db")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "nosuch" in line]
    assert line.startswith("scrapy crawl pingan: ") and "no site profile 'nosuch'" in line
    assert not (tmp_path / "n.db").exists()


@pytest.mark.slow
def test_the_demo_writes_its_log_next_to_the_database(demo_db):
    [log] = (demo_db.parent / "logs").glob("crawl-*-pasxw.log")
    assert "Spider closed (finished)" in log.read_text("utf-8")


@pytest.mark.slow
def test_the_manual_curl_example_of_datasette_works(demo_db, tmp_path):
    """docs/analysis.md's ``curl --get … --data-urlencode q=反诈`` sends what Datasette answers."""
    pytest.importorskip("datasette", reason="explore needs the [explore] extra")
    from pingan_crawler.analysis.explore import checkpoint, make_datasette

    manual = (ROOT / "docs" / "analysis.md").read_text("utf-8")
    [command] = [line[2:] for line in manual.splitlines() if line.startswith("$ curl")]
    words = shlex.split(command.split("|")[0])
    url = next(word for word in words if word.startswith("http://"))
    assert url.isascii()  # curl sends a URL as it is given: raw Chinese breaks the request
    pairs = [
        tuple(words[i + 1].split("=", 1))
        for i, w in enumerate(words)
        if w in ("-d", "--data-urlencode")
    ]
    path = url.split("8001", 1)[1] + "?" + urlencode(pairs)
    copy = tmp_path / "pingan.db"
    copy.write_bytes(demo_db.read_bytes())
    for suffix in ("-wal", "-shm"):
        if Path(f"{demo_db}{suffix}").exists():
            Path(f"{copy}{suffix}").write_bytes(Path(f"{demo_db}{suffix}").read_bytes())
    checkpoint(copy)
    datasette = make_datasette(copy)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(datasette.invoke_startup())
        response = loop.run_until_complete(datasette.client.get(path))
    finally:
        loop.close()
    assert response.status_code == 200, response.text[:300]
    found = response.json()
    assert found and all("反诈" in row["title"] or row["id"] for row in found)
