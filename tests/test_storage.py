"""Archive rules: merge reposts, update edits, keep errors with their snapshot; one store call
per item with an explicit outcome; transactions a batch writer can wrap; the schema on file."""

from __future__ import annotations

import ast
import dataclasses
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import page_bytes

from pingan_crawler.items import (
    ArticlePage,
    ListPage,
    PageError,
    SectionWalked,
    Snapshot,
    ViewReading,
)
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.listing import read_list_page
from pingan_crawler.sites import load_profile
from pingan_crawler.storage import (
    Archive,
    ArchiveState,
    Outcome,
    accept,
    catalog,
    content_hash,
    identify,
    store,
    validate,
    write,
)
from pingan_crawler.storage.schema import SCHEMA_SQL, fresh_schema, schema_sql

PROFILE = load_profile("pasxw")
SEED = "/index.asp?bh=2020128154217922"
LIST = "/list.asp?lb=1"
FETCHED = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)
STORAGE = Path(__file__).parent.parent / "pingan_crawler" / "storage"


@pytest.fixture
def archive(tmp_path):
    archive = Archive(tmp_path / "a.db")
    yield archive
    archive.close()


def snapshot(url: str, body: bytes, content_type: str = "text/html") -> Snapshot:
    return Snapshot(
        url=url,
        status=200,
        headers={"Content-Type": [content_type]},
        body=body,
        fetched_at=FETCHED,
        fetched_url=url,
    )


def page_of(url: str, article, body: bytes) -> ArticlePage:
    """An article page as the spider yields it (not yet identified)."""
    return ArticlePage("pasxw", "他山之石", snapshot(url, body), article)


def store_at(archive: Archive, url: str, article, body: bytes) -> Outcome:
    """Store ``article`` under exactly ``url`` (identity given, as the dedup pipeline gives it)."""
    page = dataclasses.replace(
        page_of(url, article, body), canonical_url=url, content_hash=content_hash(article.body)
    )
    return store(archive, None, page)


def seed_article():
    body, ctype = page_bytes(SEED)
    return body, extract_article(body, PROFILE.base_url + SEED, PROFILE, ctype)


def list_page() -> ListPage:
    body, ctype = page_bytes(LIST)
    url = PROFILE.base_url + LIST
    read = read_list_page(body, url, PROFILE, PROFILE.sections[0], 1, ctype)
    assert read.links, "the sample list page lists articles"
    return ListPage("pasxw", PROFILE.sections[0].name, 1, snapshot(url, body, ctype), read.links)


# -- the archive's rules (as before the split) ----------------------------------------------------
def test_same_url_twice_is_unchanged(archive):
    body, article = seed_article()
    assert store_at(archive, article.url, article, body) == "new"
    assert store_at(archive, article.url, article, body) == "unchanged"
    assert archive.counts()["articles"] == 1
    assert archive.counts()["snapshots"] == 1  # same URL, same bytes: one snapshot, fetched twice


def test_edited_article_is_updated_in_place(archive):
    body, article = seed_article()
    store_at(archive, article.url, article, body)
    edited = dataclasses.replace(article, body=article.body + "\n（更正）")
    assert store_at(archive, article.url, edited, body + b" ") == "updated"
    [row] = archive.articles.iter_rows()
    assert row["body"].endswith("（更正）")
    assert archive.counts()["snapshots"] == 2


def test_same_body_under_another_url_is_one_article(archive):
    body, article = seed_article()
    store_at(archive, article.url, article, body)
    other = "http://pasxw.com/index.asp?bh=1"
    assert store_at(archive, other, dataclasses.replace(article, url=other), body) == "duplicate"
    assert archive.counts()["articles"] == 1
    assert archive.counts()["article_urls"] == 2
    assert archive.counts()["snapshot_bodies"] == 1  # identical bytes are stored once


def test_short_bodies_are_never_merged(archive):
    _, article = seed_article()
    short = dataclasses.replace(article, body="图片新闻")
    store_at(archive, "http://pasxw.com/index.asp?bh=1", dataclasses.replace(short, url="a"), b"a")
    assert store_at(archive, "http://pasxw.com/index.asp?bh=2", short, b"b") == "new"
    assert archive.counts()["articles"] == 2


def test_error_keeps_its_snapshot(archive):
    snap = snapshot("http://pasxw.com/index.asp?bh=9", b"<html><title>x</title></html>")
    error = PageError("pasxw", snap.url, "not_an_article", "page has no body", 200, snap)
    assert store(archive, None, error) == Outcome.ERROR
    [row] = archive.db.execute("SELECT kind, snapshot_id FROM errors").fetchall()
    assert row[0] == "not_an_article"
    sha = archive.db.execute("SELECT sha256 FROM snapshots WHERE id = ?", [row[1]]).fetchone()[0]
    assert archive.snapshots.body(sha) == snap.body


def test_reopening_keeps_everything_and_runs_no_migration_twice(tmp_path):
    body, article = seed_article()
    first = Archive(tmp_path / "a.db")
    store_at(first, article.url, article, body)
    first.close()
    again = Archive(tmp_path / "a.db")
    assert again.counts()["articles"] == 1
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


# -- one store call per item, each outcome ------------------------------------------------------
def test_a_raw_article_page_is_identified_stored_and_counted_once(archive):
    body, article = seed_article()
    assert article.view_count == 1154  # the sample page prints 1154次
    page = page_of(article.url, article, body)
    assert store(archive, None, page) == Outcome.NEW
    assert page.canonical_url and page.content_hash == content_hash(article.body)
    row = archive.db.execute(
        "SELECT a.title, a.section, u.url, v.count, v.raw, v.method FROM articles a "
        "JOIN article_urls u ON u.article_id = a.id JOIN view_counts v ON v.article_id = a.id"
    ).fetchone()
    assert row == (article.title, "他山之石", page.canonical_url, 1154, "1154次", "page")
    assert Outcome.NEW.stat_keys == ("archive/new",) and Outcome.NEW.crawl_column == "articles_new"


def test_a_page_without_a_body_is_rejected_and_kept_as_an_error(archive):
    body, article = seed_article()
    shell = page_of(article.url, dataclasses.replace(article, body="", body_html=""), body)
    assert store(archive, None, shell) == Outcome.REJECTED
    assert archive.counts()["articles"] == 0
    [(kind, detail, snapshot_id)] = archive.db.execute(
        "SELECT kind, detail, snapshot_id FROM errors"
    ).fetchall()
    assert kind == "not_an_article" and "has no body" in detail and snapshot_id is not None
    assert Outcome.REJECTED.stat_keys == ("archive/rejected", "archive/errors")


def test_validate_turns_only_articles_missing_a_field_into_errors():
    body, article = seed_article()
    page = page_of(article.url, article, body)
    assert validate(page) is page
    untitled = validate(page_of(article.url, dataclasses.replace(article, title=None), body))
    assert isinstance(untitled, PageError) and "no title" in untitled.detail
    walked = SectionWalked("pasxw", "平安资讯", "end of list")
    assert validate(walked) is walked and identify(walked) is walked


def test_a_list_page_stores_its_snapshot_and_listings(archive):
    page = list_page()
    assert store(archive, None, page) == Outcome.LISTED
    assert store(archive, None, page) == Outcome.LISTED  # again: same rows, last_seen moves
    listed = archive.db.execute("SELECT count(*), count(DISTINCT list_url) FROM listings")
    assert listed.fetchone() == (len({link.url for link in page.links}), 1)
    assert archive.counts()["snapshots"] == 1
    state = ArchiveState(archive)
    assert {url for url, _section in state.listed_not_archived("pasxw")} == {
        link.url for link in page.links
    }


def test_a_walked_section_is_remembered(archive):
    assert store(archive, None, SectionWalked("pasxw", "平安资讯", "end of list")) == Outcome.WALKED
    assert ArchiveState(archive).walked_sections("pasxw") == {"平安资讯"}


def test_a_view_reading_joins_its_article_or_is_unknown(archive):
    body, article = seed_article()
    page = page_of(article.url, article, body)
    store(archive, None, page)
    later = datetime(2026, 12, 5, 8, 0, tzinfo=SHANGHAI)
    reading = ViewReading("pasxw", page.canonical_url, 4321, "4321", "js_docwrite", later, "/c.js")
    assert store(archive, None, reading) == Outcome.VIEW_READ
    assert archive.db.execute("SELECT view_count FROM articles").fetchone() == (4321,)
    newest = archive.db.execute(
        "SELECT count, method, counter_url FROM view_counts ORDER BY observed_at DESC LIMIT 1"
    ).fetchone()
    assert newest == (4321, "js_docwrite", "/c.js")
    stray = dataclasses.replace(reading, url="http://pasxw.com/index.asp?bh=404")
    assert store(archive, None, stray) == Outcome.VIEW_UNKNOWN


def test_accept_drops_a_repeat_of_the_run_and_counts_like_the_pipelines(archive):
    body, article = seed_article()
    stored_urls: set[str] = set()
    outcomes = []
    for _ in range(2):
        with archive.transaction():
            outcomes.append(accept(archive, None, page_of(article.url, article, body), stored_urls))
    assert outcomes == [Outcome.NEW, Outcome.REPEAT]
    assert archive.db.execute("SELECT max(fetch_count) FROM snapshots").fetchone() == (1,)


def test_a_crawl_row_counts_outcomes_as_a_worker_stores_them(archive):
    crawl_id = archive.crawls.worker_crawl("pasxw", "host-1-abc", {"worker": "host-1-abc"}, "")
    for outcome in (Outcome.NEW, Outcome.NEW, Outcome.DUPLICATE, Outcome.REJECTED, Outcome.LISTED):
        archive.crawls.count(crawl_id, outcome)
    row = archive.crawls.get(crawl_id)
    assert (row["articles_new"], row["duplicates"], row["errors"]) == (2, 1, 1)
    assert archive.crawls.worker_crawl("pasxw", "host-1-abc", {}, "") == crawl_id


def test_anything_else_is_refused_by_name(archive):
    with pytest.raises(TypeError, match="not an item the archive stores: dict"):
        store(archive, None, {"url": "x"})


# -- transactions ---------------------------------------------------------------------------------
def test_write_outside_a_transaction_is_refused(archive):
    with pytest.raises(RuntimeError, match=r"archive\.transaction\(\)"):
        write(archive, None, SectionWalked("pasxw", "平安资讯", "end of list"))


def test_a_batch_commits_together_or_not_at_all(archive, tmp_path):
    body, article = seed_article()
    with pytest.raises(RuntimeError, match="mid-batch"), archive.transaction():
        write(archive, None, page_of(article.url, article, body))
        write(archive, None, list_page())
        raise RuntimeError("the writer fails mid-batch")
    assert archive.counts() == dict.fromkeys(archive.counts(), 0)
    with archive.transaction():
        write(archive, None, page_of(article.url, article, body))
        write(archive, None, list_page())
    reader = sqlite3.connect(tmp_path / "a.db")  # another process sees both
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    assert reader.execute("SELECT count(*) FROM snapshots").fetchone() == (2,)
    reader.close()


# -- the schema in one place ----------------------------------------------------------------------
def test_schema_sql_is_what_the_migrations_make():
    assert SCHEMA_SQL.read_text("utf-8") == schema_sql(), (
        "pingan_crawler/storage/schema.sql is stale: run `python -m pingan_crawler.storage`"
    )


def test_schema_sql_builds_the_same_archive(tmp_path):
    built = sqlite3.connect(tmp_path / "from_sql.db")
    built.executescript(SCHEMA_SQL.read_text("utf-8"))
    names = {row[0] for row in built.execute("SELECT name FROM sqlite_master WHERE sql NOT NULL")}
    assert names == {name for _kind, name, _table, _sql in fresh_schema()} | {
        f"articles_fts_{part}" for part in ("data", "idx", "docsize", "config")
    }
    built.close()


def test_every_table_view_and_column_is_described(tmp_path):
    db = Archive(tmp_path / "a.db").db
    for kind, name, _table, _sql in fresh_schema():
        if kind not in ("table", "view"):
            continue
        columns = {row[1] for row in db.execute(f'PRAGMA table_info("{name}")')}
        assert set(catalog.described_columns(name)) == columns, f"storage/catalog.py: {name}"


def test_docs_table_reference_is_current():
    if not catalog.DOCS_PAGE.exists():
        pytest.skip(f"{catalog.DOCS_PAGE} is absent (not a source checkout)")
    page = catalog.DOCS_PAGE.read_text("utf-8")
    assert catalog.with_reference(page) == page, (
        "docs/archive.md's table reference is stale: run `python -m pingan_crawler.storage`"
    )


def test_storage_imports_nothing_from_analysis_the_cli_or_scrapy():
    forbidden = (
        "pingan_crawler.analysis",
        "pingan_crawler.cli",
        "pingan_crawler.spiders",
        "pingan_crawler.pipelines",
        "pingan_crawler.session",
        "pingan_crawler.middlewares",
        "pingan_crawler.extensions",
        "pingan_crawler.failures",
        "pingan_crawler.distributed",
        "scrapy",
    )
    for module in STORAGE.glob("*.py"):
        tree = ast.parse(module.read_text("utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(forbidden), f"{module.name} imports {name}"


def test_importing_storage_loads_no_zstandard_and_no_scrapy():
    code = (
        "import sys, pingan_crawler.storage; "
        "print(sorted(m for m in ('zstandard', 'scrapy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
