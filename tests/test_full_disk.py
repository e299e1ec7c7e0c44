"""A full disk is never a success: a crawl into an archive on a 1 MB filesystem stops at the
first failed write with one line naming the database and the cause, exits 6, keeps nothing
half-written, and the next run, once there is room, completes the archive.

The filesystem is a real tmpfs of 1 MB (mounting needs root: the test skips, saying so,
where the machine does not allow it).
"""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from conftest import PASXW, expected_articles, run_pingan

from pingan_crawler.fixtureserver import FixtureServer


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_stops_the_crawl_and_the_next_run_completes_it(small_disk, tmp_path):
    db = small_disk / "pingan.db"
    with FixtureServer(PASXW) as server:
        first = run_pingan("crawl", "pasxw", "--base-url", server.base_url, "--db", str(db), db=db)
        assert first.returncode == 6, first.stdout + first.stderr
        assert "Traceback" not in first.stderr
        line = first.stdout.strip().splitlines()[-1]
        assert "WRITE FAILED: could not write to" in line and str(db) in line, line
        assert "the disk is full" in line and "fetched items not stored" in line
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            orphans = conn.execute(
                "SELECT count(*) FROM articles WHERE snapshot_id NOT IN (SELECT id FROM snapshots)"
            ).fetchone()[0]
        wanted = len(expected_articles(PASXW)) - 1  # one repost merges into its original
        assert stored < wanted and orphans == 0  # stopped early; every row has its page

        # Once there is room (the same filesystem, grown), the next run completes the archive.
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        second = run_pingan("crawl", "pasxw", "--base-url", server.base_url, "--db", str(db), db=db)
        assert second.returncode == 0, second.stdout + second.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == wanted


def test_the_summary_of_a_failed_write_is_never_a_success():
    from pingan_crawler.crawl.summary import EXIT_WRITE_FAILED, site_exit_code, summary

    stats = {
        "finish_reason": "write_failed",
        "archive/write_failed": "the disk is full (database or disk is full)",
        "archive/not_stored": 64,
        "archive/new": 3,
    }
    assert site_exit_code(stats) == EXIT_WRITE_FAILED
    line = summary("pasxw", 4, stats, "data/pingan.db")
    assert "3 articles stored" in line and "64 fetched items not stored" in line
    assert "could not write to data/pingan.db: the disk is full" in line
