"""`pingan report`: one page, every figure with its numbers and query, drawn offline in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import trends_archive
from conftest import query, run_pingan

from pingan_crawler.analysis.filters import Filters
from pingan_crawler.analysis.report import build_report
from pingan_crawler.analysis.trends import Series

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--virtual-time-budget=30000",
]


@pytest.fixture(scope="module")
def db(demo_db, tmp_path_factory) -> Path:
    return trends_archive.build(demo_db, tmp_path_factory.mktemp("report") / "pingan.db")


@pytest.fixture(scope="module")
def report(db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    result = run_pingan("report", "-o", str(out), "--db", str(db), db=db, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "opens offline" in result.stdout
    return out


class Page(HTMLParser):
    """The parts of the page the tests look at: sections, tables, links, external references."""

    def __init__(self):
        super().__init__()
        self.sections: list[str] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self.csp = ""
        self.tables = 0
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self._in_h2 = True
        if tag == "table":
            self.tables += 1
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]
        if tag == "a":
            self.links.append(attrs.get("href", ""))
        for name in ("src", "data"):
            if attrs.get(name):
                self.external.append(attrs[name])
        if tag == "link":
            self.external.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.sections.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text("utf-8"))
    return page


def test_the_page_has_every_section_and_loads_nothing_from_outside(report):
    page = parse(report)
    assert page.sections == [
        "Articles per month per site",
        "Topic trends",
        "Top sources and editors",
        "Most-viewed articles",
        "Repost flows",
        "Takedowns and edits",
        "Crawl health",
    ]
    assert page.external == []  # no src=, no <link>: every script and style is inline
    assert "default-src 'none'" in page.csp
    text = report.read_text("utf-8")
    assert "no recheck data yet" in text  # nothing rechecked in this archive yet
    assert page.tables >= 10  # the numbers beside every chart


def test_every_query_link_runs_the_sql_shown_and_gives_the_numbers_shown(report, db):
    text = report.read_text("utf-8")
    links = [u for u in parse(report).links if u.startswith("http://127.0.0.1:8001/pingan?")]
    assert len(links) >= 15
    with sqlite3.connect(db) as conn:
        for link in links:
            args = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
            sql = args.pop("sql")
            assert re.sub(r"\s+", " ", sql)[:60].replace("<", "&lt;") in text.replace("&#x27;", "'")
            conn.execute(sql, args).fetchall()  # runs as given, with its parameters
    spec = charts_of(text)
    volume = next(s for s in spec.values() if s["encoding"]["x"]["field"] == "month"
                  and s["encoding"].get("color", {}).get("field") == "site")  # fmt: skip
    expected = query(
        db,
        "SELECT substr(published_at, 1, 7), site, count(*) FROM articles "
        "WHERE published_at IS NOT NULL GROUP BY 1, 2",
    )
    assert sorted(
        (r["month"], r["site"], r["articles"]) for r in volume["data"]["values"]
    ) == sorted(expected)


def charts_of(text: str) -> dict:
    data = re.search(r"const SPECS = (\{.*?\});\nconst FONT", text, re.S).group(1)
    return json.loads(data.replace("<\\/", "</"))


def test_topic_trends_count_as_trends_does(report, db):
    specs = charts_of(report.read_text("utf-8"))
    topics = next(
        s for s in specs.values() if s["encoding"].get("color", {}).get("title") == "word / topic"
    )
    rows = topics["data"]["values"]
    assert {r["word"] for r in rows} == {
        "扫黑除恶", "反诈", "禁毒", "平安建设", "枫桥经验", "命案", "信访", "防溺水"
    }  # fmt: skip
    result = run_pingan("trends", "--preset", "反诈", "--format", "json", db=db)
    cli = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r for r in rows if r["word"] == "反诈"] == cli


def test_a_slice_and_recheck_data_show_where_the_archive_has_them(db, tmp_path):
    copy = tmp_path / "pingan.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
        ids = [i for (i,) in dst.execute("SELECT id FROM articles WHERE site = 'pasxw' LIMIT 3")]
        dst.executemany(
            "INSERT INTO article_changes (article_id, kind, observed_at, http_status, changes) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (ids[0], "removed", "2026-11-02T03:00:00+08:00", 404, None),
                (ids[1], "edited", "2026-11-09T03:00:00+08:00", 200, '{"title": ["a", "b"]}'),
                (ids[0], "restored", "2026-12-01T03:00:00+08:00", 200, None),
            ],
        )
    with sqlite3.connect(copy) as conn:  # in this process: the Vega bundle is made once
        text = build_report(
            conn,
            Filters.parse(site="pasxw", since="2020-10-01"),
            [Series.of_word("反诈"), Series.of_word("扫黑")],
        )
    assert "no recheck data yet" not in text
    assert "changes seen per month" in text and "the latest changes" in text
    assert "slice: site pasxw, since 2020-10-01" in text
    specs = charts_of(text)
    changes = next(s for s in specs.values() if s["encoding"]["y"]["field"] == "changes")
    assert sorted((r["month"], r["kind"], r["changes"]) for r in changes["data"]["values"]) == [
        ("2026-11", "edited", 1),
        ("2026-11", "removed", 1),
        ("2026-12", "restored", 1),
    ]
    words = next(
        s for s in specs.values() if s["encoding"].get("color", {}).get("title") == "word / topic"
    )
    assert {r["word"] for r in words["data"]["values"]} == {"反诈", "扫黑"}
    assert min(r["period"] for r in words["data"]["values"]) == "2020-10"


def test_an_empty_slice_says_so_in_each_section(db, tmp_path):
    with sqlite3.connect(db) as conn:
        text = build_report(conn, Filters(site="nosuch"))
    assert "0 articles from 0 sites" in text
    assert text.count("class='empty'") == 7


def chromium(*args: str, profile: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Added to a copy of the page: draws two Chinese words and a row of unassigned characters in
# the font the charts' labels use. Boxes (tofu) would draw the same pixels for all three.
GLYPH_PROBE = """<script>
function pixels(font, text) {
  const canvas = document.createElement("canvas"); canvas.width = 240; canvas.height = 60;
  const ctx = canvas.getContext("2d"); ctx.font = "40px " + font; ctx.fillText(text, 0, 45);
  return Array.from(ctx.getImageData(0, 0, 240, 60).data).join(",");
}
const probe = setInterval(() => {
  if (document.body.dataset.charts !== "drawn") return;
  clearInterval(probe);
  const label = [...document.querySelectorAll(".chart svg text")]
    .find(t => t.textContent === "扫黑除恶");
  const font = getComputedStyle(label).fontFamily;
  const a = pixels(font, "扫黑除恶"), b = pixels(font, "禁毒反诈");
  const boxes = pixels(font, "\\ue000\\ue001\\ue002\\ue003");
  document.body.setAttribute("data-glyphs", a !== b && a !== boxes ? "drawn" : "tofu");
}, 50);
</script>"""


def test_headless_chromium_draws_every_chart_in_chinese_with_no_request(report, tmp_path):
    head, _, tail = report.read_text("utf-8").rpartition("</body>")
    probed = tmp_path / "probed.html"
    probed.write_text(head + GLYPH_PROBE + "</body>" + tail, "utf-8")
    netlog = tmp_path / "net.json"
    result = chromium(
        f"--log-net-log={netlog}", "--dump-dom", probed.as_uri(), profile=tmp_path / "p1"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-charts="drawn"' in body
    assert 'data-glyphs="drawn"' in body, "Chinese labels drew as boxes: install fonts-noto-cjk"
    drawn = dom.split("<main>")[1].split('id="chart-')[1:]  # from each chart to the next
    assert len(drawn) == len(charts_of(report.read_text("utf-8")))
    assert all("<svg" in part.split("</figure>")[0] for part in drawn)
    assert re.search(r"<text[^>]*>扫黑除恶</text>", dom)  # a legend label, as text in the SVG
    assert "chart failed" not in body + dom.split("<script>")[0]
    # Every request the page made (the browser's own have no origin); file: is the page.
    log = json.loads(netlog.read_text("utf-8"))
    assert log["events"]
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    asked = [
        e["params"]["url"]
        for e in log["events"]
        if kinds[e["type"]] == "URL_REQUEST_START_JOB"
        and e.get("params", {}).get("initiator") != "not an origin"
        and "url" in e.get("params", {})
    ]
    assert [u for u in asked if not u.startswith(("file:", "data:", "blob:"))] == []
    shot = tmp_path / "report.png"
    result = chromium(
        "--window-size=1300,2400", f"--screenshot={shot}", report.as_uri(), profile=tmp_path / "p2"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 100_000
