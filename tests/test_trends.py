"""`pingan trends`: counts per period equal a direct count; words of any length; presets; charts."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import struct
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import trends_archive
from conftest import PINGAN, query, run_pingan

from pingan_crawler.analysis import charts
from pingan_crawler.analysis.filters import Filters, QueryError
from pingan_crawler.analysis.search import search
from pingan_crawler.analysis.topics import load_presets
from pingan_crawler.analysis.trends import PERIODS, Matcher, Series, period_range, trends
from pingan_crawler.storage import Archive

WORDS = trends_archive.WORDS


@pytest.fixture(scope="module")
def db(demo_db, tmp_path_factory) -> Path:
    return trends_archive.build(demo_db, tmp_path_factory.mktemp("trends") / "pingan.db")


@pytest.fixture
def conn(db):
    with sqlite3.connect(db) as connection:
        yield connection


def period(published: str, by: str) -> str:
    """The period of a stored publish time, computed apart from the SQL under test."""
    if by == "month":
        return published[:7]
    if by == "year":
        return published[:4]
    if by == "quarter":
        return f"{published[:4]}-Q{(int(published[5:7]) + 2) // 3}"
    year, week, _ = date.fromisoformat(published[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def term_sql(term: str) -> tuple[str, list]:
    """What `pingan search` means by a term, written by hand: LIKE ignores ASCII case as the
    trigram index does (3+ characters); instr, for shorter terms, does not."""
    if len(term) >= 3:
        return "(title LIKE ? OR body LIKE ?)", [f"%{term}%"] * 2
    return "(instr(title, ?) > 0 OR instr(body, ?) > 0)", [term, term]


def direct(db, words: list[str], by: str, per_site: bool = False, where="1", params=()):
    """Articles per (site, period) that mention any of ``words`` (each: all its terms)."""
    alternatives, values = [], []
    for word in words:
        parts = [term_sql(t) for t in word.split()]
        alternatives.append("(" + " AND ".join(p[0] for p in parts) + ")")
        values += [v for p in parts for v in p[1]]
    rows = query(
        db,
        f"SELECT published_at, site FROM articles WHERE published_at IS NOT NULL AND {where} "
        f"AND ({' OR '.join(alternatives)})",
        [*params, *values],
    )
    return Counter((site if per_site else None, period(p, by)) for p, site in rows)


def direct_totals(db, by: str, per_site: bool = False, where="1", params=()):
    rows = query(
        db,
        f"SELECT published_at, site FROM articles WHERE published_at IS NOT NULL AND {where}",
        params,
    )
    return Counter((site if per_site else None, period(p, by)) for p, site in rows)


def check_against_direct(result, db, words_of, per_site=False, where="1", params=()):
    totals = direct_totals(db, result.by, per_site, where, params)
    assert {(r.site, r.period) for r in result.rows if r.total} == set(totals)
    for name, words in words_of.items():
        expected = direct(db, words, result.by, per_site, where, params)
        got = {(r.site, r.period): r for r in result.rows if r.word == name}
        assert set(got) >= set(totals)
        for key, row in got.items():
            assert row.articles == expected.get(key, 0), (name, key)
            assert row.total == totals.get(key, 0)
            assert row.share == (row.articles / row.total if row.total else None)


@pytest.mark.parametrize("by", PERIODS)
def test_counts_equal_a_direct_count_for_every_period_and_word(conn, db, by):
    result = trends(conn, [Series.of_word(w) for w in WORDS], by)
    check_against_direct(result, db, {w: [w] for w in WORDS})
    assert sum(r.articles for r in result.rows if r.word == "反诈") > 10  # the words do occur


def test_counts_per_site_and_within_filters_equal_a_direct_count(conn, db):
    result = trends(conn, [Series.of_word(w) for w in WORDS], "month", per_site=True)
    check_against_direct(result, db, {w: [w] for w in WORDS}, per_site=True)
    assert len({r.site for r in result.rows}) == 7  # pasxw (the demo) and six others
    filters = Filters.parse(site="pasxw", since="2020-07-01", until="2021-03-31")
    result = trends(conn, [Series.of_word(w) for w in WORDS], "quarter", filters)
    where = "site = ? AND published_at >= ? AND published_at < ?"
    params = ["pasxw", filters.since, filters.until]
    check_against_direct(result, db, {w: [w] for w in WORDS}, where=where, params=params)
    assert result.rows[0].period == "2020-Q3" and result.rows[-1].period == "2021-Q1"


def test_periods_follow_the_calendar_at_their_edges(conn):
    result = trends(conn, [Series.of_word("电信网络诈骗")], "week", Filters(site="edge"))
    weeks = {r.period: (r.articles, r.total) for r in result.rows}
    assert weeks["2020-W53"] == (1, 2)  # 2020-12-31 and 2021-01-03 (a Sunday) are ISO week 53
    quarters = trends(conn, [Series.of_word("平安建设")], "quarter", Filters(site="edge")).rows
    assert [(r.period, r.articles, r.total) for r in quarters][:2] == [
        ("2020-Q4", 1, 1),  # 2020-12-31 20:00 in Shanghai
        ("2021-Q1", 0, 6),
    ]
    assert period_range("2020-W52", "2021-W02", "week") == [
        "2020-W52",
        "2020-W53",
        "2021-W01",
        "2021-W02",
    ]
    assert period_range("2020-Q3", "2021-Q2", "quarter") == [
        "2020-Q3",
        "2020-Q4",
        "2021-Q1",
        "2021-Q2",
    ]
    months = trends(conn, [Series.of_word("反诈")], "month", Filters(site="pasxw")).rows
    gap = next(r for r in months if r.period == "2020-04")  # the demo has no April article
    assert (gap.articles, gap.total, gap.share) == (0, 0, None)


def test_short_words_through_the_indexes_equal_a_scan_of_every_body(conn, db, monkeypatch):
    matcher = Matcher(conn)
    assert [matcher.kind(w) for w in ("反诈", "毒", "AP", "扫黑除恶")] == [
        "short",
        "short",
        "cased",
        "long",
    ]
    words = ["反诈", "信访", "毒", "毒品", "AP", "扫黑", "电信 诈骗"]
    indexed = trends(conn, [Series.of_word(w) for w in words], "month")
    assert all("instr(a.body" not in q.sql for q in indexed.queries if "反诈" in q.params.values())
    monkeypatch.setattr(Matcher, "kind", lambda self, t: "long" if len(t) >= 3 else "scan")
    scanned = trends(conn, [Series.of_word(w) for w in words], "month")
    assert indexed.rows == scanned.rows
    monkeypatch.undo()
    edge = trends(conn, [Series.of_word(w) for w in words], "month", Filters(site="edge"))
    march = {r.word: r.articles for r in edge.rows if r.period == "2021-03"}
    # the title ending in 反诈, the body ending in 信访, the body that is only 毒品, and 毒 in
    # it and at the very end of another body; AP in a title, not the body's "app"
    assert march == {"反诈": 1, "信访": 1, "毒": 2, "毒品": 1, "AP": 1, "扫黑": 0, "电信 诈骗": 0}


def test_trends_count_what_search_finds(conn, db):
    dated = {i for (i,) in conn.execute("SELECT id FROM articles WHERE published_at IS NOT NULL")}
    result = trends(conn, [Series.of_word(w) for w in WORDS], "year")
    with Archive(db) as archive:
        for word in WORDS:
            found = {h.id for h in search(archive, word, limit=100_000)} & dated
            assert sum(r.articles for r in result.rows if r.word == word) == len(found), word


def test_a_preset_counts_articles_mentioning_any_of_its_words(conn, db):
    presets = load_presets()
    series = [presets["反诈"].series(), presets["禁毒"].series()]
    result = trends(conn, series, "month")
    check_against_direct(result, db, {p: list(presets[p].words) for p in ("反诈", "禁毒")})
    assert result.undated == 1  # the edge article without a publish time
    assert query(db, "SELECT count(*) FROM articles WHERE published_at IS NULL") == [(1,)]


def test_bad_input_is_a_query_error():
    with pytest.raises(QueryError, match="--by"):
        trends(sqlite3.connect(":memory:"), [Series.of_word("反诈")], "day")
    with pytest.raises(QueryError, match="empty"):
        Series.of_word("  ")


# -- the command --------------------------------------------------------------------------------
def test_json_is_one_object_per_line_with_the_keys_of_the_issue(db):
    result = run_pingan("trends", "扫黑除恶", "反诈", "--format", "json", db=db)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {tuple(r) for r in rows} == {("period", "word", "articles", "total", "share")}
    assert {r["word"] for r in rows} == {"扫黑除恶", "反诈"}
    assert rows[0]["period"].count("-") == 1 and len(rows[0]["period"]) == 7  # 2020-02
    assert "1 articles without a publish time" in result.stderr
    per_site = run_pingan("trends", "反诈", "--per-site", "--by", "year", "--format", "json", db=db)
    sites = {json.loads(line)["site"] for line in per_site.stdout.splitlines()}
    assert "pasxw" in sites and "zjpa" in sites


def test_table_and_csv_show_the_same_counts(db):
    table = run_pingan("trends", "反诈", "信访", "--by", "year", db=db)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["period", "articles", "反诈", "信访"]
    csv_out = run_pingan("trends", "反诈", "信访", "--by", "year", "--format", "csv", db=db)
    rows = [line.split(",") for line in csv_out.stdout.splitlines()]
    assert rows[0] == ["period", "word", "articles", "total", "share"]
    for line in lines[1:]:
        year, total, n1, _, n2, _ = line.split()
        assert [year, "反诈", n1, total] == rows[1:][[r[0] for r in rows[1:]].index(year)][:4]
        assert [year, "信访", n2, total] in [r[:4] for r in rows[1:]]


def test_presets_are_listed_and_a_user_adds_and_replaces_them_from_a_file(db, tmp_path):
    listed = run_pingan("trends", "--presets", db=db)
    assert listed.returncode == 0
    names = [line.split(":")[0] for line in listed.stdout.splitlines() if not line[0].isspace()]
    assert {"扫黑除恶", "反诈", "禁毒", "平安建设", "枫桥经验", "命案", "信访", "防溺水"} <= set(
        names
    )
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '["校园安全"]\ndescription = "ours"\nwords = ["校园", "学生"]\n'
        '["禁毒"]\nwords = ["毒品"]\n',
        "utf-8",
    )
    result = run_pingan(
        "trends", "--preset", "校园安全", "--preset", "禁毒", "--preset-file", str(mine),
        "--format", "json", db=db,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    both = direct(db, ["校园", "学生"], "month")
    assert {r["period"]: r["articles"] for r in rows if r["word"] == "校园安全"} == {
        p: both.get((None, p), 0) for p in {r["period"] for r in rows}
    }
    only = direct(db, ["毒品"], "month")  # the file's 禁毒 replaced the bundled one
    assert sum(r["articles"] for r in rows if r["word"] == "禁毒") == sum(only.values())
    env_listed = subprocess.run(
        [*PINGAN, "trends", "--presets", "--db", str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "PINGAN_PRESETS": str(mine)},
        check=True,
    )
    assert "校园安全: 校园 / 学生" in env_listed.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--preset", "没有这个"], "no preset '没有这个'; known: 扫黑除恶"),
        ([], "give at least one WORD or --preset"),
        (["反诈", "--chart", "out.pdf"], "give a .png or .svg file"),
        (["反诈", "--since", "yesterday-ish"], "--since 'yesterday-ish' is not a date"),
        (["反诈", "反诈"], "a word is given twice"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(db, args, says):
    result = run_pingan("trends", *args, db=db)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_broken_preset_file_is_named_in_one_line(db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('["反诈"]\nwords = "反诈"\n', "utf-8")
    result = run_pingan("trends", "--preset", "反诈", "--preset-file", str(bad), db=db)
    assert result.returncode == 2
    assert f"preset file {bad}: [反诈] needs words" in result.stderr
    missing = run_pingan("trends", "--presets", "--preset-file", str(tmp_path / "no.toml"), db=db)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


# -- charts -----------------------------------------------------------------------------------
def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_chart_file_is_drawn_with_its_chinese_labels_as_text(db, tmp_path):
    svg = tmp_path / "t.svg"
    result = run_pingan("trends", "扫黑除恶", "反诈", "--chart", str(svg), db=db)
    assert result.returncode == 0, result.stderr
    assert f"chart → {svg}" in result.stderr
    text = svg.read_text("utf-8")
    assert ">扫黑除恶</text>" in text and ">反诈</text>" in text
    font = charts.cjk_font()
    assert font is not None, "no CJK font: apt-get install fonts-noto-cjk (.ci/run does)"
    assert f'font-family="{font.family}"' in text
    assert len(re.findall(r"<path[^>]*stroke-width=\"2\"", text)) >= 2  # the two lines


def test_a_png_chart_has_its_size_and_chinese_glyphs_not_boxes(conn, tmp_path):
    """Two words of four characters, same numbers: tofu boxes would draw the same pixels."""
    result = trends(conn, [Series.of_word("扫黑除恶")], "month", Filters(site="pasxw"))
    rows = [r.to_dict(False) for r in result.rows]

    def draw(word: str) -> bytes:
        path = tmp_path / f"{word}.png"
        spec = charts.trend_spec([{**r, "word": word} for r in rows], "month", False)
        charts.save_chart(spec, path)
        return path.read_bytes()

    png = draw("扫黑除恶")
    width, height = png_size(png)
    assert width >= 700 and height >= 400 and len(png) > 20_000
    assert charts.cjk_font() is not None
    assert png != draw("禁毒反诈")
    assert png == draw("扫黑除恶")  # the same input draws the same bytes
