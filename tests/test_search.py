"""Full-text search on the demo archive: trigram FTS, the short-query scan, hostile input."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from conftest import query, run_pingan
from sqlite_utils import Database

from pingan_crawler import Archive
from pingan_crawler.analysis.filters import Filters, QueryError
from pingan_crawler.analysis.search import search
from pingan_crawler.storage import migrations

SEED_TITLE = "平安路上砥砺行 江西连续十六年获评全国综治优秀省"


def truth(db, terms: list[str]) -> set[int]:
    """Ids of the articles containing every term, computed in Python: what search must find.

    The trigram index ignores ASCII case; the short-term scan (instr) does not.
    """
    found = set()
    for article_id, title, body in query(db, "SELECT id, title, body FROM articles"):
        text = f"{title}\n{body}"
        if all(
            (t.lower() in text.lower()) if len(t) >= 3 else (t in title or t in body) for t in terms
        ):
            found.add(article_id)
    return found


def find(archive, query, site=None, section=None, since=None, until=None, **options):
    """Search as `pingan search` does: the bounds as typed on the command line."""
    return search(archive, query, Filters.parse(site, section, since, until), **options)


@pytest.fixture(scope="module")
def archive(demo_db):
    archive = Archive(demo_db)
    yield archive
    archive.close()


@pytest.mark.parametrize(
    "text", ["扫黑除恶", "扫黑", "绍兴", "反诈", "平安", "电信网络诈骗", "矛盾纠纷 绍兴", "安 全"]
)
def test_search_finds_exactly_the_articles_containing_the_text(archive, demo_db, text):
    hits = find(archive, text, limit=1000)
    expected = truth(demo_db, text.split())
    assert expected, f"the sample should contain {text!r}"
    assert {h.id for h in hits} == expected
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_trigram_hit_is_ranked_and_marked_in_the_snippet(archive):
    hits = find(archive, "扫黑除恶", limit=5)
    assert "扫黑除恶" in hits[0].title
    assert any("【扫黑除恶】" in h.snippet for h in hits)


def test_two_character_query_scans_the_base_table_with_title_hits_first(archive, demo_db):
    hits = find(archive, "扫黑", limit=1000)
    in_title = ["扫黑" in h.title for h in hits]
    assert in_title == sorted(in_title, reverse=True)  # all title hits precede body-only hits
    assert len(hits) > sum(in_title) > 0
    # the trigram index alone finds nothing for two characters: the scan is what answers
    assert query(
        demo_db, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '\"扫黑\"'"
    ) == [(0,)]


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "'",
        "AND",
        "OR 1=1",
        "*",
        "title:扫黑",
        "NEAR(扫黑 除恶)",
        '扫黑"除恶',
        "'; DROP TABLE articles; --",
        "\\",
        "%",
        "_",
        "()",
        "^扫黑",
        "扫黑除恶*",
        "-绍兴",
    ],
)
def test_any_user_text_gives_results_or_nothing_never_an_error(archive, demo_db, text):
    hits = find(archive, text, limit=1000)
    assert {h.id for h in hits} == truth(demo_db, text.split())
    assert query(demo_db, "SELECT count(*) FROM articles") == [(67,)]


def test_empty_query_is_a_clear_error(archive):
    with pytest.raises(QueryError, match="empty search"):
        find(archive, "   ")


def test_filters_bound_site_section_and_dates(archive, demo_db):
    everything = find(archive, "平安", limit=1000)
    section = everything[0].section
    in_section = find(archive, "平安", section=section, limit=1000)
    assert {h.id for h in in_section} == {h.id for h in everything if h.section == section}
    assert find(archive, "平安", site="nosuchsite") == []
    dated = find(archive, "平安", since="2021-01-01", until="2021-03-31", limit=1000)
    assert dated and all("2021-01-01" <= h.published_at[:10] <= "2021-03-31" for h in dated)
    assert {h.id for h in dated} == {
        h.id
        for h in everything
        if h.published_at and "2021-01-01" <= h.published_at[:10] <= "2021-03-31"
    }
    with pytest.raises(QueryError, match="--since"):
        find(archive, "平安", since="yesterday")


def test_index_follows_updates_through_triggers(demo_db_copy):
    archive = Archive(demo_db_copy)
    (article_id,) = query(demo_db_copy, "SELECT id FROM articles WHERE title = ?", [SEED_TITLE])[0]
    with archive.db.atomic():
        archive.db["articles"].update(article_id, {"title": "全新标题测试反电诈联盟"})
    assert [h.id for h in find(archive, "反电诈联盟")] == [article_id]
    with archive.db.atomic():
        archive.db.execute("DELETE FROM view_counts WHERE article_id = ?", [article_id])
        archive.db.execute("UPDATE articles SET snapshot_id = NULL WHERE id = ?", [article_id])
        archive.db.execute("DELETE FROM article_urls WHERE article_id = ?", [article_id])
        archive.db.execute("DELETE FROM signature_bands WHERE article_id = ?", [article_id])
        archive.db.execute("DELETE FROM article_signatures WHERE article_id = ?", [article_id])
        archive.db.execute("DELETE FROM article_versions WHERE article_id = ?", [article_id])
        archive.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
    assert find(archive, "反电诈联盟") == []
    archive.close()


def test_migration_backfills_an_archive_made_before_search(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m004_search")
    db["articles"].insert(
        {
            "id": 1,
            "url": "http://x/1",
            "site": "pasxw",
            "title": "旧文章",
            "body": "全市开展反诈宣传进社区活动",
        }
    )
    db.close()
    archive = Archive(path)
    assert [h.id for h in find(archive, "反诈宣传")] == [1]
    assert [h.id for h in find(archive, "反诈")] == [1]
    archive.close()


def test_cli_search_formats(demo_db):
    table = run_pingan("search", "扫黑除恶", "--limit", "2", db=demo_db)
    assert table.returncode == 0, table.stderr
    assert "  1. " in table.stdout and "【扫黑除恶】" in table.stdout
    as_json = run_pingan("search", "扫黑", "--format", "json", "--limit", "3", db=demo_db)
    hits = json.loads(as_json.stdout)
    assert len(hits) == 3 and all("扫黑" in h["title"] or "【扫黑】" in h["snippet"] for h in hits)
    as_csv = run_pingan("search", "扫黑", "--format", "csv", "--limit", "3", db=demo_db)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["id"] for r in rows] == [str(h["id"]) for h in hits]


def test_cli_search_bad_input_is_a_message_not_a_traceback(demo_db, tmp_path):
    empty = run_pingan("search", "", db=demo_db)
    assert empty.returncode == 2 and "empty search" in empty.stderr
    assert "Traceback" not in empty.stderr
    missing = run_pingan("search", "扫黑", "--db", str(tmp_path / "none.db"), db=demo_db)
    assert missing.returncode == 2 and "no archive" in missing.stderr
    none = run_pingan("search", "这段文字不存在于任何文章", db=demo_db)
    assert none.returncode == 0 and "no article contains" in none.stderr


def test_views_answer_common_questions(demo_db):
    per_month = query(demo_db, "SELECT sum(articles) FROM articles_per_month")
    assert per_month == [(67,)]
    sources = dict(query(demo_db, "SELECT source, articles FROM sources_ranked"))
    assert sum(sources.values()) == 67
    latest = dict(query(demo_db, "SELECT article_id, view_count FROM article_latest_views"))
    newest: dict[int, tuple] = {}
    for reading_id, article_id, observed, count in query(
        demo_db,
        "SELECT id, article_id, observed_at, count FROM view_counts WHERE count IS NOT NULL",
    ):
        newest[article_id] = max(newest.get(article_id, ("", 0, 0)), (observed, reading_id, count))
    assert latest == {article_id: value[2] for article_id, value in newest.items()}
    assert len(latest) > 60


def test_archive_is_importable_from_the_package():
    import pingan_crawler

    assert pingan_crawler.Archive is Archive
    assert isinstance(sqlite3.sqlite_version, str)


@pytest.mark.parametrize("text", ["扫黑除恶", "扫黑", "平安 绍兴"])
def test_recent_order_finds_the_same_articles_newest_stored_first(archive, demo_db, text):
    hits = find(archive, text, limit=1000, order="recent")
    assert {h.id for h in hits} == truth(demo_db, text.split())
    assert [h.id for h in hits] == sorted((h.id for h in hits), reverse=True)
    assert [h.id for h in find(archive, text, limit=3, order="recent")] == [h.id for h in hits[:3]]


def test_short_query_limit_keeps_title_hits_newest_first(archive):
    everything = find(archive, "扫黑", limit=1000)
    titled = [h for h in everything if "扫黑" in h.title]
    assert [h.published_at for h in titled] == sorted(
        (h.published_at for h in titled), reverse=True
    )
    top = find(archive, "扫黑", limit=len(titled) + 2)
    assert [h.id for h in top] == [h.id for h in everything[: len(titled) + 2]]
    with pytest.raises(QueryError, match="--order"):
        find(archive, "扫黑", order="random")
