"""Every version kept: the archive's write path records edits, removals and restores, and never
takes a view count, a footer, a sidebar or a better parser for an edit."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from newsroom import NewsSite
from sqlite_utils import Database

from pingan_crawler.analysis.reparse import reparse
from pingan_crawler.crawl.args import parse_schedule
from pingan_crawler.items import ArticleGone, ArticlePage, ArticleUnmodified, Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.storage import Archive, Outcome, migrations, store

BASE = "http://www.donghu.example.gov.cn"
SITE = "donghu"  # no profile: read by heuristics, as a site crawled with --start-url
SCHEDULE = parse_schedule("7d:1d,90d:7d,*:30d")


def fetch(site: NewsSite, n: int) -> ArticlePage:
    """Article ``n`` as a crawl would hand it to the archive now."""
    article = site.articles[n]
    body = site.article_page(article)
    url = BASE + article.path
    parsed = replace(extract_article(body, url, None, "text/html; charset=utf-8"), site=SITE)
    headers = {"Content-Type": ["text/html; charset=utf-8"], "ETag": [f'"{hash(body)}"']}
    snapshot = Snapshot(url, 200, headers, body, datetime.now(SHANGHAI))
    return ArticlePage(SITE, "新闻中心", snapshot, parsed)


def url_of(site: NewsSite, n: int) -> str:
    return BASE + site.articles[n].path


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "pingan.db") as opened:
        yield opened


@pytest.fixture
def site():
    return NewsSite()  # pages rendered, not served


def changes(archive: Archive, **filters) -> list[dict]:
    return list(archive.articles.changes(**filters))


def test_a_new_article_is_its_first_version_and_live(archive, site):
    assert store(archive, None, fetch(site, 0)) is Outcome.NEW
    article_id = archive.articles.id_of(url_of(site, 0))
    (version,) = archive.articles.versions(article_id)
    row = archive.db.execute(
        "SELECT title, status, status_since, checked_at, first_seen, snapshot_id FROM articles"
    ).fetchone()
    assert version["version"] == 1 and version["title"] == row[0] == site.articles[0].title
    assert version["snapshot_id"] == row[5] and "12名" in version["body"]
    assert row[1:4] == ("live", row[4], row[4])


def test_an_edit_is_a_new_version_with_field_level_changes(archive, site):
    store(archive, None, fetch(site, 0))
    paragraphs = list(site.articles[0].paragraphs)
    paragraphs[1] = paragraphs[1].replace("12名", "15名")
    site.edit(0, title="东湖警方破获一起跨省电信网络诈骗案（更新）", paragraphs=paragraphs)
    assert store(archive, None, fetch(site, 0)) is Outcome.UPDATED
    article_id = archive.articles.id_of(url_of(site, 0))
    first, second = archive.articles.versions(article_id)
    assert "12名" in first["body"] and "15名" in second["body"]
    assert first["snapshot_id"] != second["snapshot_id"]
    (change,) = changes(archive)
    assert change["kind"] == "edited" and (change["from_version"], change["to_version"]) == (1, 2)
    assert change["title"] == "东湖警方破获一起跨省电信网络诈骗案"  # as it was
    assert change["changes"] == {
        "title": [
            "东湖警方破获一起跨省电信网络诈骗案",
            "东湖警方破获一起跨省电信网络诈骗案（更新）",
        ],
        "body": [[site.articles[1 - 1].paragraphs[1].replace("15名", "12名")], [paragraphs[1]]],
    }
    title = archive.db.execute("SELECT title FROM articles").fetchone()[0]
    assert title.endswith("（更新）")


def test_view_count_footer_time_and_sidebar_are_no_edit(archive, site):
    site.clock = lambda: 1_717_200_000
    before = fetch(site, 1)  # a dynamic page: view count, footer clock, rotating hot list
    store(archive, None, before)
    site.clock = lambda: 1_717_290_000
    site._requests += 3
    after = fetch(site, 1)
    assert before.snapshot.body != after.snapshot.body
    assert after.article.view_count == before.article.view_count + 1
    assert store(archive, None, after) is Outcome.UNCHANGED
    article_id = archive.articles.id_of(url_of(site, 1))
    assert len(archive.articles.versions(article_id)) == 1
    assert changes(archive) == []
    readings = archive.db.execute("SELECT count(*) FROM view_counts").fetchone()[0]
    assert readings == 2  # the count is still read each time


def test_a_field_the_parser_reads_differently_is_no_edit(archive, site):
    """The stored fields came from an older parser (simulated: tampered); the page changed
    only in its view count. Today's parser reads the old page as it reads the new one."""
    store(archive, None, fetch(site, 1))
    for table in ("articles", "article_versions"):
        archive.db.execute(f"UPDATE {table} SET source = '旧解析器读出的来源', author = NULL")
    assert store(archive, None, fetch(site, 1)) is Outcome.UNCHANGED
    assert changes(archive) == []
    # a real edit on top still shows, with only what the page changed
    editor = site.articles[1].editor
    site.edit(1, editor="吴思")
    assert store(archive, None, fetch(site, 1)) is Outcome.UPDATED
    (edit,) = changes(archive)
    assert edit["changes"] == {"editor": [editor, "吴思"]}


def test_another_page_served_at_the_url_is_a_removal_not_an_edit(archive, site):
    """A --full crawl finds the homepage (200) where the article was: no new version."""
    store(archive, None, fetch(site, 6))
    page = fetch(site, 6)
    home = site.homepage()
    parsed = replace(extract_article(home, page.article.url, None, "text/html"), site=SITE)
    snapshot = replace(page.snapshot, body=home)
    assert store(archive, None, ArticlePage(SITE, None, snapshot, parsed)) is Outcome.REMOVED
    (change,) = changes(archive)
    assert change["kind"] == "removed" and "now shows another page" in change["detail"]
    article_id = archive.articles.id_of(url_of(site, 6))
    assert len(archive.articles.versions(article_id)) == 1
    title = archive.db.execute("SELECT title FROM articles").fetchone()[0]
    assert title == site.articles[6].title  # the article's text stays as it was


def test_removed_then_still_removed_then_restored(archive, site):
    store(archive, None, fetch(site, 2))
    url = url_of(site, 2)
    gone = ArticleGone(SITE, url, "HTTP 404 at " + url, 404, datetime.now(SHANGHAI))
    assert store(archive, None, gone) is Outcome.REMOVED
    assert store(archive, None, gone) is Outcome.STILL_REMOVED
    status = archive.db.execute("SELECT status, status_since FROM articles").fetchone()
    assert status[0] == "removed" and status[1]
    assert store(archive, None, fetch(site, 2)) is Outcome.RESTORED
    assert [c["kind"] for c in changes(archive)] == ["removed", "restored"]
    assert archive.db.execute("SELECT status FROM articles").fetchone()[0] == "live"


def test_restored_with_other_text_is_also_an_edit(archive, site):
    store(archive, None, fetch(site, 3))
    url = url_of(site, 3)
    store(archive, None, ArticleGone(SITE, url, "soft 404", 200, datetime.now(SHANGHAI)))
    site.edit(3, title="东湖检察院依法起诉一批涉黑案件（已更正）")
    assert store(archive, None, fetch(site, 3)) is Outcome.RESTORED_EDITED
    kinds = [(c["kind"], c["from_version"], c["to_version"]) for c in changes(archive)]
    assert kinds == [("removed", 1, None), ("restored", 1, 2), ("edited", 1, 2)]


def test_not_modified_is_seen_unchanged_and_brings_back_a_removed_article(archive, site):
    store(archive, None, fetch(site, 4))
    url = url_of(site, 4)
    later = datetime.now(SHANGHAI) + timedelta(hours=5)
    assert store(archive, None, ArticleUnmodified(SITE, url, later)) is Outcome.NOT_MODIFIED
    (version,) = archive.articles.versions(archive.articles.id_of(url))
    assert version["last_seen"] == later.isoformat(timespec="seconds")
    store(archive, None, ArticleGone(SITE, url, "HTTP 410", 410, later))
    assert store(archive, None, ArticleUnmodified(SITE, url, later)) is Outcome.RESTORED
    unknown = ArticleUnmodified(SITE, BASE + "/nowhere.html", later)
    assert store(archive, None, unknown) is Outcome.GONE_UNKNOWN


def test_an_old_archive_gets_a_first_version_of_every_article(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m012_versions")
    db.execute(
        "INSERT INTO articles (id, url, site, title, published_at, published_precision, body, "
        "source, content_hash, first_seen, last_seen) VALUES (1, 'http://a/1.html', 'a', '标题', "
        "'2021-05-01T00:00:00+08:00', 'day', '正文第一段。', '某局', 'h1', "
        "'2021-05-02T08:00:00+08:00', '2021-06-02T08:00:00+08:00')"
    )
    db.conn.commit()
    db.close()
    with Archive(path) as archive:
        (version,) = archive.articles.versions(1)
        row = archive.db.execute("SELECT status, status_since, checked_at FROM articles").fetchone()
    assert (version["version"], version["title"], version["body"], version["source"]) == (
        1,
        "标题",
        "正文第一段。",
        "某局",
    )
    assert version["body_hash"] == "h1" and version["last_seen"] == "2021-06-02T08:00:00+08:00"
    assert row == ("live", "2021-05-02T08:00:00+08:00", "2021-06-02T08:00:00+08:00")


def test_recheck_due_by_age_and_last_check(archive, site):
    now = datetime(2024, 9, 1, 12, 0, tzinfo=SHANGHAI)
    ages = {0: 2, 1: 30, 2: 200, 3: 200, 4: 30}  # days since publication
    checked = {0: 1.5, 1: 3, 2: 40, 3: 10, 4: 8}  # days since the last check
    for n in ages:
        store(archive, None, fetch(site, n))
    for n in ages:
        archive.db.execute(
            "UPDATE articles SET published_at = ?, checked_at = ? WHERE url = ?",
            [
                (now - timedelta(days=ages[n])).isoformat(),
                (now - timedelta(days=checked[n])).isoformat(),
                url_of(site, n),
            ],
        )

    def due(**options) -> list[int]:
        targets = archive.articles.due_for_recheck(SITE, now, SCHEDULE, **options)
        return [next(n for n in ages if url_of(site, n) == t.url) for t in targets]

    # daily in the first week, weekly to 90 days, monthly after; most overdue first
    assert due() == [0, 2, 4]
    assert due(limit=2) == [0, 2]
    assert due(older_than=timedelta(days=9)) == [2, 3]
    assert sorted(due(every=True)) == [0, 1, 2, 3, 4]
    assert due(since=now - timedelta(days=60)) == [0, 4]


def test_reparse_corrects_every_version_and_records_no_change(archive, site):
    store(archive, None, fetch(site, 5))
    title = site.articles[5].title
    site.edit(5, title=title + "（修订）")
    store(archive, None, fetch(site, 5))
    article_id = archive.articles.id_of(url_of(site, 5))
    # an older parser read both versions wrong (the latest is the articles row as well)
    archive.db.execute("UPDATE article_versions SET title = '读坏的标题', editor = 'x'")
    archive.db.execute("UPDATE articles SET title = '读坏的标题', editor = 'x'")
    archive.db.conn.commit()
    report = reparse(archive)
    assert (report.changed, report.older_versions, report.versions_changed) == (1, 1, 1)
    first, second = archive.articles.versions(article_id)
    assert (first["title"], second["title"]) == (title, title + "（修订）")
    assert first["editor"] == second["editor"] == site.articles[5].editor
    assert [c["kind"] for c in changes(archive)] == ["edited"]  # the one real edit only


def test_change_kinds_are_checked_by_the_schema(archive):
    with pytest.raises(sqlite3.IntegrityError):
        archive.db.execute(
            "INSERT INTO article_changes (article_id, kind, observed_at) VALUES (1, 'moved', 'x')"
        )
