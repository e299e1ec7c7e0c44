"""`pingan reparse`: the stored snapshots are enough to rebuild every article, offline."""

from __future__ import annotations

import sqlite3

from conftest import expected_articles, query, run_pingan

from pingan_crawler import Archive
from pingan_crawler.analysis.filters import Filters
from pingan_crawler.analysis.reparse import reparse
from pingan_crawler.analysis.search import search

SEED_URL = "http://pasxw.com/index.asp?bh=2020128154217922"


def test_unchanged_parser_changes_nothing(demo_db_copy):
    result = run_pingan("reparse", db=demo_db_copy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("reparsed 67 articles from their snapshots: 0 changed")


def _damage(db):
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE articles SET title = '被改坏的标题', source = NULL, body = '' WHERE url = ?",
            [SEED_URL],
        )
        conn.execute(
            "UPDATE articles SET editor = 'nobody' WHERE url != ? AND editor IS NOT NULL "
            "AND id IN (SELECT id FROM articles WHERE editor IS NOT NULL LIMIT 2)",
            [SEED_URL],
        )


def test_damaged_fields_are_restored_and_counted_per_field(demo_db_copy):
    _damage(demo_db_copy)
    result = run_pingan("reparse", db=demo_db_copy)
    assert result.returncode == 0, result.stderr
    assert "reparsed 67 articles from their snapshots: 3 changed, 0 problems" in result.stdout
    lines = result.stdout.splitlines()[1:]
    assert sorted(lines) == sorted(["  editor: 2", "  title: 1", "  source: 1", "  body: 1"])
    seed = next(e for e in expected_articles() if e["url"] == SEED_URL)
    title, source, body = query(
        demo_db_copy, "SELECT title, source, body FROM articles WHERE url = ?", [SEED_URL]
    )[0]
    assert (title, source, body) == (seed["title"], seed["source"], seed["body"])
    archive = Archive(demo_db_copy)  # the search index followed the repair
    assert [h.url for h in search(archive, seed["title"][:8])] == [SEED_URL]
    archive.close()


def test_dry_run_counts_without_writing_and_site_filter_limits(demo_db_copy):
    _damage(demo_db_copy)
    archive = Archive(demo_db_copy)
    report = reparse(archive, dry_run=True)
    assert (report.articles, report.changed, report.fields["title"]) == (67, 3, 1)
    assert query(demo_db_copy, "SELECT title FROM articles WHERE url = ?", [SEED_URL]) == [
        ("被改坏的标题",)
    ]
    assert reparse(archive, Filters(site="othersite")).articles == 0
    since = reparse(archive, Filters.parse(since="2021-01-01"), dry_run=True)
    assert (
        since.articles
        == query(demo_db_copy, "SELECT count(*) FROM articles WHERE published_at >= '2021-01-01'")[
            0
        ][0]
    )
    archive.close()


def test_a_missing_snapshot_body_is_reported_and_the_article_kept(demo_db_copy):
    digest = query(
        demo_db_copy,
        "SELECT s.sha256 FROM articles a JOIN snapshots s ON s.id = a.snapshot_id WHERE a.url = ?",
        [SEED_URL],
    )[0][0]
    with sqlite3.connect(demo_db_copy) as conn:
        conn.execute("DELETE FROM snapshot_bodies WHERE sha256 = ?", [digest])
    result = run_pingan("reparse", db=demo_db_copy)
    assert result.returncode == 1
    assert SEED_URL in result.stderr and digest in result.stderr
    assert "1 problems" in result.stdout
    assert query(demo_db_copy, "SELECT count(*) FROM articles WHERE url = ?", [SEED_URL]) == [(1,)]


def test_an_article_of_a_site_without_profile_is_parsed_by_heuristics_and_reported(
    demo_db_copy,
):
    with sqlite3.connect(demo_db_copy) as conn:
        conn.execute("UPDATE articles SET site = 'gone' WHERE url = ?", [SEED_URL])
    result = run_pingan("reparse", "--dry-run", db=demo_db_copy)
    assert result.returncode == 1
    assert "site gone: no site profile 'gone'" in result.stderr
    assert "its articles are parsed by heuristics" in result.stderr
