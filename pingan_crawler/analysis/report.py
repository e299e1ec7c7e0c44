"""`pingan report`: the archive (or a slice of it) as one HTML page that opens with no network.

Every script, style and number is inside the page: the charts are Vega-Lite specs with their rows
inline, drawn by the Vega bundle vl-convert provides; a Content-Security-Policy forbids the page
any request, so nothing can leave it even by mistake. Each chart has its numbers in a table
beside it (and in tooltips), the SQL behind it, and a link running that SQL in Datasette
(``pingan explore``). The queries are those of analysis/trends.py; this module only lays out.
"""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pingan_crawler.analysis import charts
from pingan_crawler.analysis import trends as q
from pingan_crawler.analysis.filters import Filters
from pingan_crawler.analysis.topics import choose, load_presets
from pingan_crawler.analysis.trends import Query, Series
from pingan_crawler.parsing.dates import SHANGHAI

# The topics charted when none are asked for (the issue's own examples).
DEFAULT_TOPICS = ("扫黑除恶", "反诈", "禁毒", "平安建设", "枫桥经验", "命案", "信访", "防溺水")
TABLE_ROWS = 400  # rows shown beside a chart; the linked query has them all
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:"
)


@dataclass
class Figure:
    """A chart (or a table alone), the rows it shows, and the queries behind it."""

    title: str
    rows: list[dict]
    queries: list[Query]
    spec: dict | None = None
    columns: Sequence[str] | None = None  # the table's columns (default: the rows' keys)
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    figures: list[Figure] = field(default_factory=list)
    empty: str = ""  # said instead of figures when the archive has nothing for this section


def build_report(
    conn: sqlite3.Connection,
    filters: Filters | None = None,
    series: Sequence[Series] | None = None,
    by: str = "month",
    datasette: str = "http://127.0.0.1:8001",
    database: str = "pingan",
    source: str = "",
) -> str:
    """The whole page as a string."""
    filters = filters or Filters()
    if not series:
        presets = load_presets()
        series = choose([t for t in DEFAULT_TOPICS if t in presets], presets)
    overview = q.overview_query(filters).rows(conn)[0]
    sections = [
        _volume(conn, filters),
        _topics(conn, filters, series, by),
        _credits(conn, filters),
        _views(conn, filters),
        _reposts(conn, filters),
        _changes(conn, filters),
        _health(conn, filters),
    ]
    return _page(sections, overview, filters, datasette, database, source)


# -- sections -------------------------------------------------------------------------------
def _volume(conn, filters: Filters) -> Section:
    query = q.per_month_per_site_query(filters)
    rows = query.rows(conn)
    spec = charts.stacked_bars(
        "month",
        "articles",
        "site",
        x_title="month",
        y_title="articles",
        color_title="site",
        width="container",
    )
    pivot = _pivot(rows, "month", "site", "articles")
    return Section(
        "volume",
        "Articles per month per site",
        "By publish month (Asia/Shanghai). Articles without a publish time are in no month.",
        [Figure("articles per month, stacked by site", pivot, [query], _data(spec, rows))]
        if rows
        else [],
        empty="no article with a publish time in this slice",
    )


def _topics(conn, filters: Filters, series: Sequence[Series], by: str) -> Section:
    result = q.trends(conn, series, by, filters)
    rows = [r.to_dict(False) for r in result.rows]
    spec = charts.trend_spec(rows, by, False, width="container")
    spec.pop("title", None)
    table = []
    for at in range(0, len(result.rows), len(series)):
        group = result.rows[at : at + len(series)]
        line = {by: group[0].period, "all articles": group[0].total}
        for row in group:
            share = "" if row.share is None else f" ({row.share:.1%})"
            line[row.word] = f"{row.articles}{share}"
        table.append(line)
    words = "; ".join(
        f"{s.name}: {' / '.join(' '.join(a) for a in s.alternatives)}" for s in series
    )
    note = f"Each line counts the articles mentioning any of its words. {words}."
    if result.undated:
        note += f" {result.undated} articles without a publish time are in no period."
    return Section(
        "topics",
        "Topic trends",
        "Articles per period that mention each topic in title or body, matched as "
        "`pingan search` matches, beside all articles of the period.",
        [
            Figure(
                f"articles per {by} mentioning each topic", table, result.queries, spec, None, note
            )
        ]
        if result.rows
        else [],
        empty="no article with a publish time in this slice",
    )


def _credits(conn, filters: Filters) -> Section:
    figures = []
    for column, label in (("source", "来源 (source)"), ("editor", "责任编辑 (editor)")):
        query = q.top_credits_query(column, filters)
        rows = query.rows(conn)
        if rows:
            spec = charts.ranked_bars(column, "articles", title=label, value_title="articles")
            figures.append(Figure(f"top {label}", rows, [query], _data(spec, rows)))
    return Section(
        "credits",
        "Top sources and editors",
        "Who the articles credit, by number of articles (blank credits left out).",
        figures,
        empty="no article in this slice names a source or an editor",
    )


def _views(conn, filters: Filters) -> Section:
    top = q.most_viewed_query(filters)
    top_rows = top.rows(conn)
    history = q.view_history_query(filters)
    readings = history.rows(conn)
    figures = []
    if top_rows:
        figures.append(
            Figure(
                "most-viewed articles (latest reading)",
                top_rows,
                [top],
                columns=("published", "site", "title", "view_count", "readings"),
            )
        )
    if readings:
        spec = charts.line_chart(
            "observed_at",
            "count",
            "title",
            x_title="when read",
            y_title="views",
            color_title="article",
            x_type="temporal",
            width="container",
            tooltip=[
                ("title", "nominal", "article"),
                ("observed_at", "temporal", "read at", "%Y-%m-%d %H:%M"),
                ("count", "quantitative", "views"),
            ],
        )
        figures.append(
            Figure(
                "view counts of the most-viewed articles over time",
                readings,
                [history],
                _data(spec, readings),
                note="One point per reading (table view_counts); a crawl with --refresh-views "
                "reads them again.",
            )
        )
    return Section(
        "views",
        "Most-viewed articles",
        "View counts as the sites print them (浏览/点击次数), latest reading first.",
        figures,
        empty="no view counts in this slice",
    )


def _reposts(conn, filters: Filters) -> Section:
    flows = q.repost_flows_query(filters)
    flow_rows = flows.rows(conn)
    lags = q.repost_lags_query(filters)
    lag_rows = lags.rows(conn)
    figures = []
    if flow_rows:
        spec = charts.heatmap(
            "copy_site",
            "original_site",
            "copies",
            x_title="copying site",
            y_title="original site",
            value_title="copies",
            extra=(("median_hours", "median lag (h)"), ("fastest_hours", "fastest (h)")),
        )
        figures.append(Figure("which sites copy which", flow_rows, [flows], _data(spec, flow_rows)))
        spec = charts.ranked_bars("lag", "copies", title="lag", value_title="copies")
        spec["encoding"]["y"]["sort"] = list(q.LAG_BUCKETS)
        figures.append(
            Figure(
                "how long after the original the copies appeared",
                lag_rows,
                [lags],
                _data(spec, lag_rows),
                columns=("lag", "copies"),
            )
        )
    return Section(
        "reposts",
        "Repost flows",
        "Near-duplicate clusters (`pingan reposts`): the original is the earliest published "
        "member; each other member is a copy, with its lag after the original.",
        figures,
        empty="no repost clusters in this slice (`pingan reposts --rebuild` clusters an archive)",
    )


def _changes(conn, filters: Filters) -> Section:
    section = Section(
        "changes",
        "Takedowns and edits",
        "What `pingan recheck` found when it revisited archived articles.",
        empty="no recheck data yet: `pingan recheck` revisits archived articles and records "
        "takedowns and edits",
    )
    if not q.has_changes(conn):
        return section
    per_month = q.changes_per_month_query(filters)
    rows = per_month.rows(conn)
    if rows:
        spec = charts.stacked_bars(
            "month", "changes", "kind", x_title="month seen", y_title="changes", color_title="kind"
        )
        section.figures.append(
            Figure("changes seen per month", rows, [per_month], _data(spec, rows))
        )
        latest = q.latest_changes_query(filters)
        section.figures.append(
            Figure(
                "the latest changes",
                latest.rows(conn),
                [latest],
                columns=("observed_at", "kind", "site", "title", "http_status"),
            )
        )
    else:
        section.empty = "recheck has found no takedown, edit or restore in this slice"
    return section


def _health(conn, filters: Filters) -> Section:
    span = q.crawl_span_query(filters).rows(conn)[0]
    if not span["runs"]:
        return Section("health", "Crawl health", empty="no crawl runs in this slice")
    first = datetime.fromisoformat(span["first_run"])
    last = datetime.fromisoformat(span["last_run"])
    chars = 10 if (last - first).days <= 92 else 7  # by day, or by month over a long time
    health = q.crawl_health_query(filters, chars)
    rows = health.rows(conn)
    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(row["period"], {"period": row["period"]})
        for key in ("runs", "pages", "errors", "blocked_runs", "unfinished_runs"):
            total[key] = total.get(key, 0) + (row[key] or 0)
    long_rows = [
        {"period": t["period"], "measure": name, "count": t[key]}
        for t in totals.values()
        for key, name in (
            ("errors", "errors"),
            ("blocked_runs", "blocked runs"),
            ("unfinished_runs", "runs not finished"),
            ("runs", "runs"),
        )
    ]
    spec = charts.line_chart(
        "period",
        "count",
        "measure",
        x_title="day" if chars == 10 else "month",
        y_title="count",
        color_title="",
        width="container",
        tooltip=[
            ("period", "ordinal", "period"),
            ("measure", "nominal", "measure"),
            ("count", "quantitative", "count"),
        ],
    )
    errors = q.errors_by_kind_query(filters)
    runs = q.latest_runs_query(filters)
    return Section(
        "health",
        "Crawl health",
        f"{span['runs']} crawl runs from {span['first_run'][:10]} to {span['last_run'][:10]}: "
        "errors are pages that failed or were not articles; a blocked run met an anti-bot "
        "challenge (瑞数, 加速乐 …).",
        [
            Figure("runs, errors and blocked runs", rows, [health], _data(spec, long_rows)),
            Figure("errors by kind", errors.rows(conn), [errors]),
            Figure("the latest runs", runs.rows(conn), [runs]),
        ],
    )


# -- helpers --------------------------------------------------------------------------------
def _data(spec: dict, rows: list[dict]) -> dict:
    return charts.with_data(spec, rows)


def _pivot(rows: list[dict], index: str, column: str, value: str) -> list[dict]:
    """Long rows as a wide table: one row per ``index``, one column per ``column`` value."""
    names = sorted({r[column] for r in rows})
    table: dict[str, dict] = {}
    for row in rows:
        line = table.setdefault(row[index], {index: row[index], **dict.fromkeys(names, 0)})
        line[row[column]] = row[value]
    for line in table.values():
        line["all"] = sum(line[n] for n in names)
    return list(table.values())


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _table(figure: Figure) -> str:
    rows = figure.rows[:TABLE_ROWS]
    if not rows:
        return "<p class='none'>no rows</p>"
    columns = list(figure.columns or rows[0].keys())
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            if c == "title" and row.get("url"):
                cell = f"<a href='{_esc(row['url'])}' rel='noopener'>{_esc(value)}</a>"
            else:
                cell = _esc(value)
            kind = " class='n'" if isinstance(value, int | float) else ""
            cells.append(f"<td{kind}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f"<p class='none'>the first {TABLE_ROWS} of {len(figure.rows)} rows; the query has all</p>"
        if len(figure.rows) > TABLE_ROWS
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _queries(figure: Figure, datasette: str, database: str) -> str:
    parts = []
    if len(figure.queries) > 2:  # one per topic: fold them into one list
        inner = "".join(
            _queries(Figure("", [], [query]), datasette, database) for query in figure.queries
        )
        return (
            f"<details class='sql'><summary>the {len(figure.queries)} queries behind this "
            f"chart (each opens in Datasette)</summary>{inner}</details>"
        )
    for query in figure.queries:
        params = ", ".join(f":{k} = {v!r}" for k, v in query.params.items())
        parts.append(
            "<details class='sql'><summary>"
            f"<a href='{_esc(query.datasette_url(datasette, database))}' target='_blank' "
            f"rel='noopener'>open the query in Datasette</a> · SQL: {_esc(query.title)}"
            f"</summary><pre>{_esc(query.sql)}</pre>"
            + (f"<p>parameters: {_esc(params)}</p>" if params else "")
            + "</details>"
        )
    return "".join(parts)


def _page(
    sections: list[Section],
    overview: dict,
    filters: Filters,
    datasette: str,
    database: str,
    source: str,
) -> str:
    specs: dict[str, dict] = {}
    body = []
    for section in sections:
        body.append(f"<section id='{section.id}'><h2>{_esc(section.title)}</h2>")
        if section.intro:
            body.append(f"<p class='intro'>{_esc(section.intro)}</p>")
        if not section.figures:
            body.append(f"<p class='empty'>{_esc(section.empty)}</p>")
        for figure in section.figures:
            chart = ""
            if figure.spec:
                chart_id = f"chart-{len(specs) + 1}"
                specs[chart_id] = figure.spec
                chart = f"<div class='chart' id='{chart_id}' role='img'></div>"
            kind = "fig" if chart else "fig solo"
            body.append(
                f"<figure class='{kind}'><figcaption>{_esc(figure.title)}"
                f"</figcaption><div class='pair'>{chart}<div class='numbers'>{_table(figure)}"
                f"</div></div>"
                + (f"<p class='note'>{_esc(figure.note)}</p>" if figure.note else "")
                + _queries(figure, datasette, database)
                + "</figure>"
            )
        body.append("</section>")
    nav = "".join(f"<a href='#{s.id}'>{_esc(s.title)}</a>" for s in sections)
    slice_ = ", ".join(
        f"{name} {value[:10]}" if name in ("since", "until") else f"{name} {value}"
        for name in ("site", "section", "since", "until")
        if (value := getattr(filters, name))
    )
    if filters.until:  # stored as the exclusive bound: show the day asked for
        slice_ = slice_.replace(filters.until[:10], _day_before(filters.until))
    first, last = overview["first_published"], overview["last_published"]
    summary = (
        f"{overview['articles']:,} articles from {overview['sites']} "
        + ("site" if overview["sites"] == 1 else "sites")
        + (f", published {first[:10]} to {last[:10]}" if first else "")
        + (f"; {overview['undated']} without a publish time" if overview["undated"] else "")
    )
    made = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    script = _scripts(specs) if specs else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pingan archive report{" – " + _esc(slice_) if slice_ else ""}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>pingan archive report</h1>
<p class="summary">{_esc(summary)}</p>
<p class="meta">{_esc(source)}{" · slice: " + _esc(slice_) if slice_ else " · the whole archive"}
 · made {made} (Asia/Shanghai) · the links open each query in Datasette at {_esc(datasette)}
 (<code>pingan explore</code>)</p>
<nav>{nav}</nav>
</header>
<main>
{"".join(body)}
</main>
{script}
</body>
</html>
"""


def _day_before(bound: str) -> str:
    return (datetime.fromisoformat(bound) - timedelta(days=1)).strftime("%Y-%m-%d")


def _scripts(specs: dict[str, dict]) -> str:
    """The Vega bundle, then each chart embedded as SVG (its text stays text)."""
    data = json.dumps(specs, ensure_ascii=False).replace("</", "<\\/")
    font = json.dumps(charts.BROWSER_FONTS)
    bundle = charts.javascript_bundle().replace("</script", "<\\/script")
    return f"""<script>{bundle}</script>
<script>
const SPECS = {data};
const FONT = {font};
const OPTIONS = {{renderer: "svg", actions: {{export: true, source: false, compiled: false,
  editor: false}}, config: {{font: FONT, axis: {{labelFont: FONT, titleFont: FONT}},
  legend: {{labelFont: FONT, titleFont: FONT}}, title: {{font: FONT}}}}}};
const drawn = Object.entries(SPECS).map(([id, spec]) =>
  vegaEmbed("#" + id, spec, OPTIONS).catch(error => {{
    document.getElementById(id).textContent = "chart failed: " + error;
  }}));
Promise.all(drawn).then(() => document.body.setAttribute("data-charts", "drawn"));
</script>"""


_STYLE = (
    """
body { font-family: """
    + charts.BROWSER_FONTS
    + """; margin: 0; color: #1d2430;
  background: #fafafa; line-height: 1.45; }
header { background: #23344d; color: #fff; padding: 1em 2em; }
header h1 { margin: 0 0 .3em; font-size: 1.5em; }
header .meta { opacity: .8; font-size: .85em; }
nav a { color: #cfe0ff; margin-right: 1.2em; font-size: .95em; }
main { padding: 0 2em 3em; }
section { margin-top: 2em; }
h2 { border-bottom: 2px solid #23344d; padding-bottom: .2em; }
.intro, .note, .empty, .none { color: #555; font-size: .92em; }
.empty { font-style: italic; }
figure { margin: 1.2em 0; background: #fff; border: 1px solid #dde3ea; border-radius: 6px;
  padding: 1em; }
figcaption { font-weight: bold; margin-bottom: .6em; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.chart { flex: 1 1 560px; min-width: 320px; overflow-x: auto; }
.numbers { flex: 0 1 520px; max-height: 420px; overflow: auto; }
.solo .numbers { flex: 1 1 100%; max-height: 520px; }
table { border-collapse: collapse; font-size: .85em; }
th, td { border-bottom: 1px solid #e6e9ee; padding: .2em .6em; text-align: left;
  white-space: nowrap; }
th { position: sticky; top: 0; background: #f0f3f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
details.sql { margin-top: .6em; font-size: .85em; }
details.sql pre { white-space: pre-wrap; background: #f4f6f8; padding: .6em; }
"""
)
