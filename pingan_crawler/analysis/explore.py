"""Open the archive in Datasette, read-only, with titles, descriptions and ready-made queries.

It opens on what an analyst needs first: a search box that takes words of any length (the
canned query ``search_short``: Datasette's own ``?_search=`` uses the trigram index and finds
nothing for one- or two-character words), the articles table, the canned queries, and the
charts of `pingan report` as a dashboard (the datasette-dashboards plugin, which ships its own
copy of Vega: no network needed). Their SQL is analysis/trends.py's.
"""

from __future__ import annotations

import asyncio
import html
import sqlite3
from contextlib import closing
from pathlib import Path

from pingan_crawler.analysis import charts, trends
from pingan_crawler.analysis.trends import Query
from pingan_crawler.storage import Archive, catalog

# The short-query scan of a large archive takes a few hundred ms; Datasette's default is 1 s.
SQL_TIME_LIMIT_MS = 5000


def _canned(query: Query, title: str | None = None, description: str = "") -> dict:
    canned = {"title": title or query.title.capitalize(), "sql": query.sql}
    return {**canned, "description": description} if description else canned


# Every name of articles.credits (JSON [[role, [names]], …]) with its articles, one row per
# role and name; :role narrows it to one role (审核: the articles each reviewer signed off).
CREDITS_BY_ROLE = (
    "SELECT json_extract(c.value, '$[0]') AS role, trim(n.value) AS name, "
    "count(DISTINCT a.id) AS articles, count(DISTINCT a.site) AS sites, "
    "min(a.published_at) AS first_published, max(a.published_at) AS last_published "
    "FROM articles a, json_each(a.credits) c, json_each(c.value, '$[1]') n "
    "WHERE json_valid(a.credits) AND (:role = '' OR json_extract(c.value, '$[0]') = :role) "
    "GROUP BY role, name ORDER BY articles DESC, role, name LIMIT 500"
)


def canned_queries(has_changes: bool) -> dict:
    """The canned queries: the report's figures (analysis/trends.py) and the lookups."""
    queries = {
        "search_short": _canned(
            trends.word_search_query(":q"),
            "Search titles and bodies for any text (also 1–2 characters: 扫黑, 反诈)",
            "Any length, matched as `pingan search` matches; the search box of the articles "
            "table needs 3+ characters.",
        ),
        "word_per_month": _canned(
            trends.word_trend_query(None),
            "Articles per month mentioning a word, beside all articles (any length)",
        ),
        "articles_per_month_per_site": _canned(trends.per_month_per_site_query(None)),
        "top_sources": _canned(trends.top_credits_query("source", None, 100), "Top sources (来源)"),
        "top_editors": _canned(
            trends.top_credits_query("editor", None, 100), "Top editors (责任编辑)"
        ),
        "credits_by_role": {
            "title": "Who is credited in each role (审核, 校对, 摄影 …; leave role empty for all)",
            "sql": CREDITS_BY_ROLE,
        },
        "top_viewed": {
            "title": "Most viewed articles (latest reading)",
            "sql": "SELECT article_id, site, title, published_at, view_count, observed_at, url "
            "FROM article_latest_views ORDER BY view_count DESC LIMIT 100",
        },
        "view_history": {
            "title": "View-count history of one article (give its URL)",
            "sql": "SELECT v.observed_at, v.count, v.raw, v.method FROM view_counts v "
            "JOIN article_urls u ON u.article_id = v.article_id WHERE u.url = :url "
            "ORDER BY v.observed_at",
        },
        "repost_flows": _canned(trends.repost_flows_query(None), "Repost flows: who copies whom"),
        "repost_lags": _canned(trends.repost_lags_query(None)),
        "crawl_health": _canned(trends.crawl_health_query(None), "Crawl health per day and site"),
        "errors_by_kind": _canned(trends.errors_by_kind_query(None), "Crawl errors by kind"),
        "latest_runs": _canned(trends.latest_runs_query(None, 100), "The latest crawl runs"),
    }
    if has_changes:
        queries["changes_per_month"] = _canned(trends.changes_per_month_query(None))
        queries["latest_changes"] = _canned(trends.latest_changes_query(None, 200))
        queries["removed_articles"] = {
            "title": "Removed articles (taken down after they were archived)",
            "description": "Articles whose URL now answers 404/410, a removal notice or a "
            "redirect away (`pingan recheck`), latest first; the stored text and pages are kept.",
            "sql": "SELECT a.status_since AS removed_at, a.site, a.title, a.published_at, "
            "c.http_status, c.detail, a.url, a.id FROM articles a LEFT JOIN article_changes c "
            "ON c.id = (SELECT max(id) FROM article_changes WHERE article_id = a.id "
            "AND kind = 'removed') WHERE a.status = 'removed' ORDER BY a.status_since DESC",
        }
        queries["edited_articles"] = {
            "title": "Edited articles (what a page said before and after)",
            "description": "Every edit found by a recheck or a --full crawl, latest first: "
            "changes holds field → [old, new] (for the body, the changed passages only).",
            "sql": "SELECT c.observed_at, a.site, v.title AS title_before, a.title AS title_now, "
            "c.from_version, c.to_version, c.changes, a.url, a.id FROM article_changes c "
            "JOIN articles a ON a.id = c.article_id LEFT JOIN article_versions v "
            "ON v.article_id = c.article_id AND v.version = c.from_version "
            "WHERE c.kind = 'edited' ORDER BY c.observed_at DESC, c.id DESC",
        }
    return queries


def _chart(db: str, query: Query, spec: dict, title: str | None = None) -> dict:
    return {
        "title": title or query.title.capitalize(),
        "db": db,
        "query": query.sql,
        "library": "vega-lite",
        "display": spec,
    }


def dashboard(db: str, has_changes: bool) -> dict:
    """datasette-dashboards' configuration: the report's charts over live queries, filtered."""
    d = trends.DASHBOARD
    charts_ = {
        "word": _chart(
            db,
            trends.word_trend_query(d),
            charts.line_chart(
                "month",
                "articles",
                None,
                x_title="month",
                y_title="articles mentioning the word",
                width="container",
                tooltip=[
                    ("month", "ordinal", "month"),
                    ("articles", "quantitative", "articles"),
                    ("total", "quantitative", "all articles"),
                    ("percent", "quantitative", "%"),
                ],
            ),
            "Articles per month mentioning the word",
        ),
        "volume": _chart(
            db,
            trends.per_month_per_site_query(d),
            charts.stacked_bars(
                "month",
                "articles",
                "site",
                x_title="month",
                y_title="articles",
                color_title="site",
                width="container",
            ),
        ),
        "sources": _chart(
            db,
            trends.top_credits_query("source", d),
            charts.ranked_bars(
                "source", "articles", title="来源", value_title="articles", width="container"
            ),
            "Top sources (来源)",
        ),
        "editors": _chart(
            db,
            trends.top_credits_query("editor", d),
            charts.ranked_bars(
                "editor", "articles", title="责任编辑", value_title="articles", width="container"
            ),
            "Top editors (责任编辑)",
        ),
        "reposts": _chart(
            db,
            trends.repost_flows_query(d),
            charts.heatmap(
                "copy_site",
                "original_site",
                "copies",
                x_title="copying site",
                y_title="original site",
                value_title="copies",
                extra=(("median_hours", "median lag (h)"),),
            ),
            "Repost flows: which sites copy which",
        ),
        "health": _chart(
            db,
            trends.crawl_health_query(d),
            charts.stacked_bars(
                "period",
                "errors",
                "site",
                x_title="day",
                y_title="errors",
                color_title="site",
                width="container",
            ),
            "Crawl errors per day and site",
        ),
    }
    if has_changes:
        charts_["changes"] = _chart(
            db,
            trends.changes_per_month_query(d),
            charts.stacked_bars(
                "month",
                "changes",
                "kind",
                x_title="month seen",
                y_title="changes",
                color_title="kind",
                width="container",
            ),
            "Takedowns and edits seen per month",
        )
    return {
        "archive": {
            "title": "pingan archive: trends",
            "description": "The charts of `pingan report`, live. Word: any length, matched as "
            "`pingan search` matches.",
            "filters": {
                "word": {"name": "Word", "type": "text", "default": "扫黑除恶"},
                "site": {
                    "name": "Site",
                    "type": "select",
                    "db": db,
                    "query": "SELECT DISTINCT site FROM articles ORDER BY site",
                },
                "since": {"name": "Published since", "type": "date"},
                "until": {"name": "Published until", "type": "date"},
            },
            "charts": charts_,
        }
    }


def front_page(db: str, queries: dict) -> str:
    """The index page's top: search (any length), the articles table, canned queries, charts."""
    links = "".join(
        f'<li><a href="/{db}/{name}">{html.escape(q["title"])}</a></li>'
        for name, q in queries.items()
        if name != "search_short"
    )
    return (
        f'<form action="/{db}/search_short" method="get" style="margin:1em 0">'
        '<input type="search" name="q" placeholder="扫黑除恶, 反诈, 信访 …" size="40"> '
        '<input type="submit" value="Search titles and bodies"></form>'
        f'<p><a href="/{db}/articles?_sort_desc=published_at"><b>Articles</b></a>, newest '
        "first (its search box needs 3+ characters; the box above takes any) · "
        '<a href="/-/dashboards/archive"><b>Charts</b></a> (topic trends, volume, sources, '
        "reposts, crawl health)</p>"
        f"<p>Ready-made queries:</p><ul>{links}</ul>"
    )


def table_metadata() -> dict:
    """Every table and view's description and column help, from storage/catalog.py."""
    return {
        table.name: {"description": table.about, "columns": dict(table.columns)}
        for table in catalog.TABLES
    }


def metadata(db_path: str | Path) -> dict:
    """Datasette metadata for one archive: titles, column descriptions, FTS, canned queries,
    the front page, and the dashboards."""
    name = Path(db_path).stem
    tables = table_metadata()
    tables["articles"].update(ARTICLES_TABLE)
    tables[trends.VOCABULARY] = {"hidden": True}
    with closing(sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)) as conn:
        has_changes = trends.has_changes(conn)
    queries = canned_queries(has_changes)
    return {
        "title": "pingan archive",
        "description_html": "<p>Articles, page snapshots and crawl records of Chinese "
        "平安/长安/政法 news sites, archived by pingan-crawler. Read-only.</p>"
        + front_page(name, queries),
        "plugins": {"datasette-dashboards": dashboard(name, has_changes)},
        "databases": {
            name: {
                "tables": tables,
                "queries": queries,
            }
        },
    }


# What Datasette needs beyond the catalog's words: the search box and the default order.
ARTICLES_TABLE = {
    "title": "Articles",
    "description": "One row per article; reposts under other URLs are rows of article_urls. "
    "The search box needs 3+ characters; use the search_short query for shorter words.",
    "fts_table": "articles_fts",
    "fts_pk": "id",
    "sort_desc": "published_at",
}


def checkpoint(db_path: str | Path) -> None:
    """Move WAL pages into the main file: immutable mode reads the main file only."""
    with Archive(db_path) as archive:
        archive.checkpoint()


def make_datasette(db_path: str | Path):
    """A Datasette over the archive opened immutable (never written, no locks taken)."""
    from datasette.app import Datasette  # the optional extra [explore]

    return Datasette(
        immutables=[str(db_path)],
        metadata=metadata(db_path),
        settings={"sql_time_limit_ms": SQL_TIME_LIMIT_MS},
    )


def serve(db_path: str | Path, host: str, port: int) -> None:
    """Serve until interrupted (what ``datasette serve --immutable`` does, with our metadata)."""
    import uvicorn

    checkpoint(db_path)
    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
