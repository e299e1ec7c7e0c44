"""Archive rules: merge reposts, update edits, keep errors with their snapshot."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from conftest import page_bytes

from pingan_crawler.items import Snapshot
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.sites import load_profile
from pingan_crawler.storage import Archive, content_hash

PROFILE = load_profile("pasxw")
SEED = "/index.asp?bh=2020128154217922"


@pytest.fixture
def archive(tmp_path):
    archive = Archive(tmp_path / "a.db")
    yield archive
    archive.close()


def snapshot(url: str, body: bytes) -> Snapshot:
    return Snapshot(
        url=url,
        status=200,
        headers={"Content-Type": ["text/html"]},
        body=body,
        fetched_at=datetime(2026, 11, 30, 12, 0).astimezone(),
        fetched_url=url,
    )


def store(archive: Archive, url: str, article, body: bytes) -> str:
    return archive.store_article(
        article,
        snapshot(url, body),
        url=url,
        body_hash=content_hash(article.body),
        section="他山之石",
        crawl_id=None,
    )


def seed_article():
    body, ctype = page_bytes(SEED)
    return body, extract_article(body, PROFILE.base_url + SEED, PROFILE, ctype)


def test_same_url_twice_is_unchanged(archive):
    body, article = seed_article()
    assert store(archive, article.url, article, body) == "new"
    assert store(archive, article.url, article, body) == "unchanged"
    assert archive.counts()["articles"] == 1
    assert archive.counts()["snapshots"] == 1  # same URL, same bytes: one snapshot, fetched twice


def test_edited_article_is_updated_in_place(archive):
    body, article = seed_article()
    store(archive, article.url, article, body)
    edited = dataclasses.replace(article, body=article.body + "\n（更正）")
    assert store(archive, article.url, edited, body + b" ") == "updated"
    [row] = archive.iter_articles()
    assert row["body"].endswith("（更正）")
    assert archive.counts()["snapshots"] == 2


def test_same_body_under_another_url_is_one_article(archive):
    body, article = seed_article()
    store(archive, article.url, article, body)
    other = "http://pasxw.com/index.asp?bh=1"
    assert store(archive, other, dataclasses.replace(article, url=other), body) == "duplicate"
    assert archive.counts()["articles"] == 1
    assert archive.counts()["article_urls"] == 2
    assert archive.counts()["snapshot_bodies"] == 1  # identical bytes are stored once


def test_short_bodies_are_never_merged(archive):
    _, article = seed_article()
    short = dataclasses.replace(article, body="图片新闻")
    store(archive, "http://pasxw.com/index.asp?bh=1", dataclasses.replace(short, url="a"), b"a")
    assert store(archive, "http://pasxw.com/index.asp?bh=2", short, b"b") == "new"
    assert archive.counts()["articles"] == 2


def test_error_keeps_its_snapshot(archive):
    snap = snapshot("http://pasxw.com/index.asp?bh=9", b"<html><title>x</title></html>")
    archive.record_error(None, snap.url, "not_an_article", "page has no body", 200, snap, "pasxw")
    [row] = archive.db.execute("SELECT kind, snapshot_id FROM errors").fetchall()
    assert row[0] == "not_an_article"
    sha = archive.db.execute("SELECT sha256 FROM snapshots WHERE id = ?", [row[1]]).fetchone()[0]
    assert archive.snapshot_body(sha) == snap.body


def test_reopening_keeps_everything_and_runs_no_migration_twice(tmp_path):
    body, article = seed_article()
    first = Archive(tmp_path / "a.db")
    store(first, article.url, article, body)
    first.close()
    again = Archive(tmp_path / "a.db")
    assert again.counts()["articles"] == 1
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()
