"""Credits, bylines and view counters from a crawl to the archive, its exports and reparse.

The site is tests/fixtures/unknown/credits (VSB-style: 编辑 / 审核 / 校对 lines under the
body, an inline ``_showDynClicks`` counter), served on 127.0.0.1 and crawled with no profile.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, PINGAN, query, run_pingan

from pingan_crawler.analysis.explore import CREDITS_BY_ROLE
from pingan_crawler.crawl.args import CrawlArgs
from pingan_crawler.fixtureserver import FixtureServer

SITE = FIXTURES / "unknown" / "credits"
COUNTER = "/system/resource/code/news/click/dynclicks.jsp"
CREDITS_2101 = [["编辑", ["柯望舒"]], ["审核", ["易长庚"]], ["校对", ["符晓岚"]]]


def crawl(db: Path, *extra: str) -> list[str]:
    """Crawl the credits site from its list page; the paths it asked for."""
    with FixtureServer(SITE) as server:
        result = subprocess.run(
            [
                *PINGAN,
                "crawl",
                "--start-url",
                server.base_url + "/paxw.htm",
                "--db",
                str(db),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return [path for _, path in server.requests]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> tuple[Path, list[str]]:
    db = tmp_path_factory.mktemp("credits") / "c.db"
    return db, crawl(db)


def by_article(db: Path, columns: str) -> dict[str, tuple]:
    rows = query(db, f"SELECT url, {columns} FROM articles")
    return {url.rsplit("/", 1)[1]: tuple(rest) for url, *rest in rows}


@pytest.mark.slow
def test_the_editor_is_the_editor_and_every_credit_line_is_stored(crawled):
    db, _ = crawled
    rows = by_article(db, "editor, credits, byline")
    assert rows["2101.htm"][0] == "柯望舒"  # 编辑, not the 审核 reviewer
    assert json.loads(rows["2101.htm"][1]) == CREDITS_2101
    assert rows["2102.htm"][0] == "石远帆"
    assert json.loads(rows["2102.htm"][1]) == [["责任编辑", ["石远帆"]], ["审核", ["易长庚"]]]
    assert rows["2101.htm"][2] is None


@pytest.mark.slow
def test_counters_are_not_fetched_unless_asked(crawled):
    db, requests = crawled
    assert not [path for path in requests if path.startswith(COUNTER)]
    rows = by_article(db, "view_count, counter_url, counter_kind")
    assert rows["2101.htm"][0] is None
    assert rows["2101.htm"][1].endswith(f"{COUNTER}?clickid=2101&owner=1700000001&clicktype=wbnews")
    assert rows["2101.htm"][2] == "plain"


@pytest.mark.slow
def test_fetch_counters_fills_the_view_count_from_the_counter(tmp_path):
    db = tmp_path / "v.db"
    requests = crawl(db, "--fetch-counters")
    assert sorted(p for p in requests if p.startswith(COUNTER)) == [
        f"{COUNTER}?clickid=2101&owner=1700000001&clicktype=wbnews",
        f"{COUNTER}?clickid=2102&owner=1700000001&clicktype=wbnews",
    ]
    rows = by_article(db, "view_count")
    assert (rows["2101.htm"], rows["2102.htm"]) == ((327,), (58,))
    (method,) = {m for (m,) in query(db, "SELECT DISTINCT method FROM view_counts")}
    assert method != "page"


@pytest.mark.slow
def test_exports_carry_credits_as_json(crawled, tmp_path):
    db, _ = crawled
    out = run_pingan("export", "--format", "jsonl", "--fields", "url,editor,credits", db=db)
    assert out.returncode == 0, out.stderr
    records = {
        json.loads(line)["url"].rsplit("/", 1)[1]: json.loads(line)
        for line in out.stdout.splitlines()
    }
    assert records["2101.htm"]["credits"] == CREDITS_2101
    out = run_pingan("export", "--format", "csv", "--no-bom", db=db)
    assert out.returncode == 0, out.stderr
    rows = {r["url"].rsplit("/", 1)[1]: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert json.loads(rows["2101.htm"]["credits"]) == CREDITS_2101
    assert rows["2101.htm"]["editor"] == "柯望舒"


@pytest.mark.slow
def test_reparse_fills_credits_of_rows_stored_before_the_column(crawled, tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(crawled[0], db)
    conn = sqlite3.connect(db)  # back to the schema before m011, as an older version left it
    for column in ("credits", "byline", "counter_kind"):
        conn.execute(f"ALTER TABLE articles DROP COLUMN {column}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_credits'")
    conn.commit()
    conn.close()
    out = run_pingan("reparse", db=db)  # opening the archive runs m011, then reparse fills it
    # A site crawled with no profile is reparsed by heuristics, as it was crawled: a note.
    assert out.returncode == 0, out.stderr
    assert "no profile (crawled by --start-url); parsed by heuristics" in out.stderr
    rows = by_article(db, "credits, counter_kind")
    assert json.loads(rows["2101.htm"][0]) == CREDITS_2101
    assert rows["2101.htm"][1] == "plain"


@pytest.mark.slow
def test_the_explore_query_counts_articles_per_reviewer(crawled):
    db, _ = crawled
    reviewers = query(db, CREDITS_BY_ROLE, {"role": "审核"})
    assert [(role, name, articles) for role, name, articles, *_ in reviewers] == [
        ("审核", "易长庚", 2)
    ]
    every = {(role, name) for role, name, *_ in query(db, CREDITS_BY_ROLE, {"role": ""})}
    assert every == {
        ("编辑", "柯望舒"),
        ("审核", "易长庚"),
        ("校对", "符晓岚"),
        ("责任编辑", "石远帆"),
    }


def test_scrapy_argument_fetch_counters_is_opt_in():
    start = "http://127.0.0.1:8000/paxw.htm"
    assert not CrawlArgs.from_strings(start_url=start).profile.views.fetch_counter
    assert not CrawlArgs.from_strings(
        start_url=start, fetch_counters="0"
    ).profile.views.fetch_counter
    asked = CrawlArgs.from_strings(start_url=start, fetch_counters="1")
    assert asked.profile.views.fetch_counter
    assert asked.profile.sections == CrawlArgs.from_strings(start_url=start).profile.sections
