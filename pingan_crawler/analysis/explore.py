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

# The short-query scan of a large archive takes a few hundred ms; Datasette's default is 1 s.
SQL_TIME_LIMIT_MS = 5000

ARTICLE_COLUMNS = {
    "url": "public URL the article was first archived under",
    "site": "site profile name (pingan_crawler/sites/SITE.toml)",
    "section": "section (栏目) the article was first listed in",
    "title": "title as printed on the page",
    "published_at": (
        "publish time, ISO 8601 in Asia/Shanghai (+08:00); null if missing or impossible"
    ),
    "published_raw": "publish time exactly as printed",
    "published_precision": "day, minute or second: how much of the time the page gave",
    "view_count": "latest view count read (浏览/点击次数); null if not a number",
    "view_count_raw": "view count exactly as printed",
    "body": "article text, one paragraph per line",
    "body_html": "article body HTML",
    "source": "来源",
    "editor": "责任编辑",
    "author": "作者",
    "images": "JSON list of image URLs in the body",
    "charset": "character set the page was decoded with",
    "warnings": "JSON list of what the parser could not take at face value",
    "content_hash": "sha256 of the whitespace-folded body (finds reposts)",
    "snapshot_id": "the stored page (snapshots.id) these fields come from",
    "first_seen": "when the crawler first stored it",
    "last_seen": "when the crawler last saw it",
}


def _canned(query: Query, title: str | None = None, description: str = "") -> dict:
    canned = {"title": title or query.title.capitalize(), "sql": query.sql}
    return {**canned, "description": description} if description else canned


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


def metadata(db_path: str | Path) -> dict:
    """Datasette metadata for one archive: titles, column descriptions, FTS, canned queries,
    the front page, and the dashboards."""
    name = Path(db_path).stem
    with closing(sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)) as conn:
        has_changes = trends.has_table(conn, "article_changes")
    queries = canned_queries(has_changes)
    return {
        "title": "pingan archive",
        "description_html": "<p>Articles, page snapshots and crawl records of Chinese "
        "平安/长安/政法 news sites, archived by pingan-crawler. Read-only.</p>"
        + front_page(name, queries),
        "plugins": {"datasette-dashboards": dashboard(name, has_changes)},
        "databases": {
            name: {
                "tables": {
                    "articles": {
                        "title": "Articles",
                        "description": "One row per article; reposts under other URLs are "
                        "rows of article_urls. The search box needs 3+ characters; use the "
                        "search_short query for shorter words.",
                        "fts_table": "articles_fts",
                        "fts_pk": "id",
                        "sort_desc": "published_at",
                        "columns": ARTICLE_COLUMNS,
                    },
                    "article_urls": {"description": "Every URL an article was found under."},
                    "snapshots": {"description": "Every distinct (URL, bytes) fetched."},
                    "snapshot_bodies": {
                        "description": "Page bytes, compressed (zlib, or zstd:<dictionary id>), "
                        "keyed by their sha256."
                    },
                    "view_counts": {"description": "Each reading of an article's view count."},
                    "crawls": {"description": "One row per crawl run."},
                    "errors": {"description": "Pages that failed or were not articles."},
                    "article_latest_views": {
                        "description": "The latest view count read for each article."
                    },
                    "articles_per_month": {"description": "Articles per site, section, month."},
                    "sources_ranked": {"description": "来源 by number of articles."},
                    trends.VOCABULARY: {"hidden": True},
                },
                "queries": queries,
            }
        },
    }


def checkpoint(db_path: str | Path) -> None:
    """Move WAL pages into the main file: immutable mode reads the main file only."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


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
