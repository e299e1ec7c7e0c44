"""Fixity: `pingan verify` proves every stored body and names each damaged one."""

from __future__ import annotations

import sqlite3
import zlib

from conftest import query, run_pingan


def test_clean_archive_verifies(demo_db_copy):
    result = run_pingan("verify", db=demo_db_copy)
    assert result.returncode == 0, result.stderr
    bodies = query(demo_db_copy, "SELECT count(*), sum(size) FROM snapshot_bodies")[0]
    assert f"verified {bodies[0]} stored bodies ({bodies[1]:,} bytes)" in result.stdout
    assert "0 problems; integrity_check: ok" in result.stdout


def test_altered_unreadable_and_missing_bodies_are_named(demo_db_copy):
    digests = [r[0] for r in query(demo_db_copy, "SELECT sha256 FROM snapshot_bodies LIMIT 3")]
    with sqlite3.connect(demo_db_copy) as conn:
        conn.execute(
            "UPDATE snapshot_bodies SET data = ? WHERE sha256 = ?",
            [zlib.compress(b"<html>edited later</html>"), digests[0]],
        )
        conn.execute(
            "UPDATE snapshot_bodies SET data = ? WHERE sha256 = ?", [b"not zlib", digests[1]]
        )
        conn.execute("DELETE FROM snapshot_bodies WHERE sha256 = ?", [digests[2]])
    result = run_pingan("verify", db=demo_db_copy)
    assert result.returncode == 1
    assert f"body {digests[0]}: sha256 mismatch" in result.stderr
    assert f"body {digests[1]}: unreadable" in result.stderr
    assert f"body {digests[2]} is missing" in result.stderr
    assert "3 problems" in result.stdout


def test_missing_archive_is_a_usage_error(tmp_path):
    result = run_pingan("verify", db=tmp_path / "none.db")
    assert result.returncode == 2 and "no archive" in result.stderr
