"""Open the archive in Datasette, read-only, with titles, descriptions and ready-made queries.

Datasette's own search box (``?_search=``) uses the trigram index and so finds nothing for
one- or two-character words; the canned query ``search_short`` scans the articles instead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pingan_crawler.storage import Archive, catalog

# The short-query scan of a large archive takes a few hundred ms; Datasette's default is 1 s.
SQL_TIME_LIMIT_MS = 5000

QUERIES = {
    "search_short": {
        "title": "Search titles and bodies for any text (also 1–2 characters: 扫黑, 反诈)",
        "description": "Scans every article; the search box of the articles table needs 3+ "
        "characters.",
        "sql": "SELECT id, published_at, site, section, title, url FROM articles "
        "WHERE instr(title, :q) > 0 OR instr(body, :q) > 0 "
        "ORDER BY instr(title, :q) = 0, published_at DESC LIMIT 200",
    },
    "articles_per_month_per_site": {
        "title": "Articles per month per site",
        "sql": "SELECT site, substr(published_at, 1, 7) AS month, count(*) AS articles "
        "FROM articles GROUP BY site, month ORDER BY site, month DESC",
    },
    "top_viewed": {
        "title": "Most viewed articles (latest reading)",
        "sql": "SELECT article_id, site, title, published_at, view_count, observed_at, url "
        "FROM article_latest_views ORDER BY view_count DESC LIMIT 100",
    },
    "removed_articles": {
        "title": "Removed articles (taken down after they were archived)",
        "description": "Articles whose URL now answers 404/410, a removal notice or a redirect "
        "away (`pingan recheck`), latest first; the stored text and pages are kept.",
        "sql": "SELECT a.status_since AS removed_at, a.site, a.title, a.published_at, "
        "c.http_status, c.detail, a.url, a.id FROM articles a LEFT JOIN article_changes c "
        "ON c.id = (SELECT max(id) FROM article_changes WHERE article_id = a.id "
        "AND kind = 'removed') WHERE a.status = 'removed' ORDER BY a.status_since DESC",
    },
    "edited_articles": {
        "title": "Edited articles (what a page said before and after)",
        "description": "Every edit found by a recheck or a --full crawl, latest first: changes "
        "holds field → [old, new] (for the body, the changed passages only).",
        "sql": "SELECT c.observed_at, a.site, v.title AS title_before, a.title AS title_now, "
        "c.from_version, c.to_version, c.changes, a.url, a.id FROM article_changes c "
        "JOIN articles a ON a.id = c.article_id LEFT JOIN article_versions v "
        "ON v.article_id = c.article_id AND v.version = c.from_version "
        "WHERE c.kind = 'edited' ORDER BY c.observed_at DESC, c.id DESC",
    },
    "view_history": {
        "title": "View-count history of one article (give its URL)",
        "sql": "SELECT v.observed_at, v.count, v.raw, v.method FROM view_counts v "
        "JOIN article_urls u ON u.article_id = v.article_id WHERE u.url = :url "
        "ORDER BY v.observed_at",
    },
}


def table_metadata() -> dict:
    """Every table and view's description and column help, from storage/catalog.py."""
    return {
        table.name: {"description": table.about, "columns": dict(table.columns)}
        for table in catalog.TABLES
    }


def metadata(db_path: str | Path) -> dict:
    """Datasette metadata for one archive: titles, column descriptions, FTS, canned queries."""
    name = Path(db_path).stem
    tables = table_metadata()
    tables["articles"].update(ARTICLES_TABLE)
    return {
        "title": "pingan archive",
        "description": "Articles, page snapshots and crawl records of Chinese 平安/长安/政法 "
        "news sites, archived by pingan-crawler. Read-only.",
        "databases": {
            name: {
                "tables": tables,
                "queries": QUERIES,
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
