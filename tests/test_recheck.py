"""End to end: `pingan recheck` over a site of our own that deletes, soft-deletes, redirects,
edits, restores and challenges articles between runs (tests/newsroom.py), then `pingan
changes`, WARC, export and Datasette over what was found.

One site and one archive for the module, the runs in order (each test reads what its run
did): crawl → recheck (nothing changed) → takedowns and edits → restores → schedule → errors →
challenge → a --full crawl finding an edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sqlite3
from datetime import datetime, timedelta

import pytest
from conftest import query, run_pingan
from newsroom import NewsSite

from pingan_crawler.cli.main import main
from pingan_crawler.parsing.dates import SHANGHAI

pytestmark = pytest.mark.slow

STATIC = (0, 2, 4, 6, 8, 10)  # served with ETag / Last-Modified
ARTICLES = 11
MOVED = "/xwzx/archive/t20240715_1006.html"


def recheck(site: NewsSite, db, *options: str):
    site.forget_log()
    result = run_pingan("recheck", site.base_url.split("//")[1], *options, "--db", str(db), db=db)
    return result, list(site.log)


def pingan(*args: str) -> tuple[int, str, str]:
    """A command that starts no crawl, run in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def changes_json(db, *options: str) -> list[dict]:
    code, out, err = pingan("changes", "--format", "json", *options, "--db", str(db))
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def paths(log) -> list[str]:
    return [entry[0] for entry in log]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every run of the story, in order: name → (result, server log), plus the site and db."""
    db = tmp_path_factory.mktemp("recheck") / "pingan.db"
    story: dict = {"db": db}
    with NewsSite(ARTICLES) as site:
        story["site"] = site
        story["crawl"] = run_pingan("crawl", "--start-url", site.list_url, "--db", str(db), db=db)
        story["quiet"] = recheck(site, db, "--all")
        story["quiet_changes"] = query(db, "SELECT count(*) FROM article_changes")[0][0]

        site.take_down(0, 404)
        site.take_down(1, 410)
        site.soft_delete(2)
        site.redirect(3, "/")
        site.redirect(4, site.articles[5].path, 301)
        site.move(6, MOVED)
        site.edit(7, title=site.articles[7].title + "（更正）")
        body = list(site.articles[8].paragraphs)
        body[1] = body[1].replace("犯罪嫌疑人20名", "犯罪嫌疑人26名")
        site.edit(8, paragraphs=body)
        site.redirect(9, site.articles[9].path + "?from=timeline", 302)
        site.serve_homepage(10)
        story["takedowns"] = recheck(site, db, "--all")
        story["changes"] = changes_json(db)

        site.restore(0)
        site.restore(2)
        body = list(site.articles[2].paragraphs)
        body.append("（本文于发布后补充了案件的最新进展。）")
        site.edit(2, paragraphs=body)
        site.restore(3)
        story["restores"] = recheck(site, db, "--all")

        story["nothing_due"] = recheck(site, db)
        month_ago = (datetime.now(SHANGHAI) - timedelta(days=40)).isoformat(timespec="seconds")
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE articles SET checked_at = ? WHERE url IN (?, ?, ?)",
                [month_ago, site.url(5), site.url(6), site.url(9)],
            )
        site.restore(9)
        site.fail(9, 500)  # due, but the server fails: an error, and 9 stays due
        story["due"] = recheck(site, db, "-s", "RETRY_TIMES=0")
        site.restore(9)
        story["retried"] = recheck(site, db)

        story["before_challenge"] = changes_json(db)
        site.challenge(5)
        story["challenge"] = recheck(site, db, "--all")
        site.restore(5)

        site.edit(7, title="市政法委召开平安建设推进会（二次更正）")
        site.forget_log()
        story["full"] = run_pingan(
            "crawl", "--start-url", site.list_url, "--full", "--db", str(db), db=db
        )
    return story


def test_the_crawl_archived_every_article(runs):
    assert runs["crawl"].returncode == 0, runs["crawl"].stderr
    assert query(runs["db"], "SELECT count(*) FROM articles") == [(ARTICLES,)]


def test_unchanged_articles_cost_a_conditional_request_each(runs):
    result, log = runs["quiet"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" → ")[0].endswith(
        "11 rechecked, 0 edited, 0 removed, 0 restored, 0 errors (finished)"
    )
    site = runs["site"]
    for n in range(ARTICLES):
        (request,) = [entry for entry in log if entry[0] == site.articles[n].path]
        _path, if_none_match, if_modified_since, status = request
        if n in STATIC:
            assert if_none_match and if_modified_since and status == 304, n
        else:  # a dynamic page sends no validators, so none can be sent back
            assert (if_none_match, if_modified_since, status) == (None, None, 200), n
    assert runs["quiet_changes"] == 0


def test_every_takedown_and_edit_is_found_and_nothing_else(runs):
    result, _log = runs["takedowns"]
    assert result.returncode == 0, result.stderr
    assert "11 rechecked, 2 edited, 6 removed, 0 restored, 0 errors" in result.stdout
    site = runs["site"]
    found = {(c["url"], c["kind"]) for c in runs["changes"]}
    assert found == {
        (site.url(0), "removed"),
        (site.url(1), "removed"),
        (site.url(2), "removed"),
        (site.url(3), "removed"),
        (site.url(4), "removed"),
        (site.url(10), "removed"),
        (site.url(7), "edited"),
        (site.url(8), "edited"),
    }
    by_url = {c["url"]: c for c in runs["changes"]}
    assert (by_url[site.url(0)]["http_status"], by_url[site.url(1)]["http_status"]) == (404, 410)
    assert by_url[site.url(2)]["http_status"] == 200
    assert "信息不存在" in by_url[site.url(2)]["detail"]
    assert "homepage" in by_url[site.url(3)]["detail"]
    assert "another article" in by_url[site.url(4)]["detail"]
    assert "now shows another page ('平安东湖网')" in by_url[site.url(10)]["detail"]
    assert set(runs["changes"][0]) >= {
        "url",
        "site",
        "title",
        "kind",
        "observed_at",
        "http_status",
        "changes",
    }


def test_edits_show_field_level_changes(runs):
    site = runs["site"]
    by_url = {c["url"]: c for c in runs["changes"]}
    title = by_url[site.url(7)]
    assert title["changes"] == {"title": [title["title"], title["title"] + "（更正）"]}
    number = by_url[site.url(8)]["changes"]
    assert list(number) == ["body"]
    (old,), (new,) = number["body"]
    assert "犯罪嫌疑人20名" in old and "犯罪嫌疑人26名" in new
    assert old.replace("20名", "26名") == new  # one passage, not the whole body


def test_a_move_to_the_articles_new_url_and_a_tracking_redirect_are_not_takedowns(runs):
    site = runs["site"]
    _result, log = runs["takedowns"]
    assert MOVED in paths(log)  # followed, and found to be the same article
    assert site.articles[9].path in paths(log)
    for n in (5, 6, 9):
        assert query(runs["db"], "SELECT status FROM articles WHERE url = ?", [site.url(n)]) == [
            ("live",)
        ]


def test_restored_articles_are_restored_and_a_changed_text_is_also_an_edit(runs):
    result, log = runs["restores"]
    assert "1 edited, 0 removed, 3 restored, 0 errors" in result.stdout, result.stdout
    site = runs["site"]
    zero = [e for e in log if e[0] == site.articles[0].path]
    assert zero[0][1] and zero[0][3] == 304  # asked with the validators of its last good fetch
    rows = query(
        runs["db"],
        "SELECT c.kind, c.http_status FROM article_changes c JOIN articles a ON a.id = "
        "c.article_id WHERE a.url = ? ORDER BY c.id",
        [site.url(2)],
    )
    assert rows == [("removed", 200), ("restored", 200), ("edited", 200)]
    statuses = dict(query(runs["db"], "SELECT url, status FROM articles"))
    assert [n for n in range(ARTICLES) if statuses[site.url(n)] == "removed"] == [1, 4, 10]


def test_nothing_is_fetched_that_is_not_due(runs):
    result, log = runs["nothing_due"]
    assert result.returncode == 0, result.stderr
    assert "0 rechecked" in result.stdout and "nothing was due" in result.stdout
    assert log == []
    result, log = runs["due"]
    site = runs["site"]
    articles = [p for p in paths(log) if p.startswith("/xwzx/2") or p == MOVED]
    due = [site.articles[5].path, site.articles[6].path, MOVED, site.articles[9].path]
    assert sorted(articles) == sorted(due)
    six = next(e for e in log if e[0] == site.articles[6].path)
    assert six[1] and six[3] == 301  # asked conditionally; the move answers all the same


def test_a_server_error_is_an_error_and_the_article_stays_due(runs):
    site = runs["site"]
    result, log = runs["due"]
    assert result.returncode == 1
    assert "2 rechecked, 0 edited, 0 removed, 0 restored, 1 error" in result.stdout
    assert (site.articles[9].path, None, None, 500) in log
    result, log = runs["retried"]
    assert result.returncode == 0, result.stderr
    assert [p for p in paths(log) if p.startswith("/xwzx/2")] == [site.articles[9].path]
    assert "1 rechecked" in result.stdout
    kinds = query(
        runs["db"],
        "SELECT c.kind FROM article_changes c JOIN articles a ON a.id = c.article_id "
        "WHERE a.url = ?",
        [site.url(9)],
    )
    assert kinds == []


def test_a_challenge_stops_the_site_and_is_never_a_takedown(runs):
    result, _log = runs["challenge"]
    assert result.returncode == 3, result.stdout + result.stderr
    assert "BLOCKED by ruishu" in result.stdout
    after = changes_json(runs["db"], "--kind", "removed")
    before = [c for c in runs["before_challenge"] if c["kind"] == "removed"]
    assert len(after) == len(before)
    assert query(runs["db"], "SELECT kind FROM errors WHERE kind LIKE 'blocked:%'") == [
        ("blocked:ruishu",)
    ]


def test_a_full_crawl_that_finds_an_edit_records_a_version(runs):
    site = runs["site"]
    assert runs["full"].returncode == 1  # the article taken down with a 410 is a crawl error
    errors = query(
        runs["db"], "SELECT url, kind FROM errors WHERE crawl_id = (SELECT max(id) FROM crawls)"
    )
    assert errors == [(site.url(1), "http_status")]
    # the homepage still served at article 10's URL is no edit of it, to a crawl either
    assert query(runs["db"], "SELECT status FROM articles WHERE url = ?", [site.url(10)]) == [
        ("removed",)
    ]
    rows = query(
        runs["db"],
        "SELECT c.changes, k.args FROM article_changes c JOIN articles a ON a.id = c.article_id "
        "JOIN crawls k ON k.id = c.crawl_id WHERE a.url = ? AND c.kind = 'edited' ORDER BY c.id",
        [site.url(7)],
    )
    assert len(rows) == 2
    assert json.loads(rows[1][1])["spider"] == "pingan"
    assert json.loads(rows[1][0])["title"][1] == "市政法委召开平安建设推进会（二次更正）"
    versions = query(
        runs["db"],
        "SELECT v.version, v.title FROM article_versions v JOIN articles a ON a.id = "
        "v.article_id WHERE a.url = ? ORDER BY v.version",
        [site.url(7)],
    )
    assert [v[0] for v in versions] == [1, 2, 3]
    # the dynamic pages' counts and footers moved again: still no edit for them
    edited = {
        u for (u,) in query(runs["db"], "SELECT url FROM article_changes WHERE kind = 'edited'")
    }
    assert edited == {site.url(2), site.url(7), site.url(8)}


def test_changes_filters_and_formats(runs):
    db = runs["db"]
    removed = changes_json(db, "--kind", "removed")
    assert {c["kind"] for c in removed} == {"removed"} and len(removed) == 6
    assert changes_json(db, "--since", "2000-01-01", "--until", "2000-12-31") == []
    _code, table, _err = pingan("changes", "--db", str(db))
    assert "title: " in table and "→" in table
    _code, csv_out, _err = pingan("changes", "--format", "csv", "--kind", "edited", "--db", str(db))
    lines = csv_out.splitlines()
    assert lines[0] == "url,site,title,kind,observed_at,http_status,changes,detail"
    assert len(lines) == 1 + 4
    code, _out, err = pingan("changes", "--since", "someday", "--db", str(db))
    assert code == 2 and "--since 'someday'" in err


def test_warc_writes_every_version(runs, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    db, site = runs["db"], runs["site"]
    out = tmp_path / "all.warc.gz"
    code, _out, err = pingan("warc", str(out), "--db", str(db))
    assert code == 0, err
    payloads = set()
    with out.open("rb") as stream:
        for record in ArchiveIterator(stream):
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if uri == site.url(8) and record.rec_type == "response":
                payloads.add(record.rec_headers.get_header("WARC-Payload-Digest"))
    versions = query(
        db,
        "SELECT count(*) FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.url = ?",
        [site.url(8)],
    )[0][0]
    assert versions == 2 and len(payloads) == 2


def test_export_includes_the_status(runs):
    db, site = runs["db"], runs["site"]
    result = run_pingan("export", "--format", "jsonl", "--db", str(db), db=db)
    rows = {r["url"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows[site.url(1)]["status"] == "removed" and rows[site.url(1)]["status_since"]
    assert rows[site.url(0)]["status"] == "live"


def test_datasette_lists_removed_and_edited_articles(runs):
    from pingan_crawler.analysis.explore import checkpoint, make_datasette

    db, site = runs["db"], runs["site"]
    checkpoint(db)
    ds = make_datasette(db)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(ds.invoke_startup())

        def get(path):
            response = loop.run_until_complete(ds.client.get(path))
            assert response.status_code == 200, response.text[:300]
            return response.json()

        removed = get("/pingan/removed_articles.json?_shape=array")
        edited = get("/pingan/edited_articles.json?_shape=array")
    finally:
        loop.close()
    assert {r["url"] for r in removed} == {site.url(1), site.url(4), site.url(10)}
    assert {r["url"] for r in edited} == {site.url(2), site.url(7), site.url(8)}
    assert all(json.loads(r["changes"]) for r in edited)
