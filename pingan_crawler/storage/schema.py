"""The archive's schema: every table, index, trigger and view, as migrations run on open.

Migrations are applied in the order they are defined, once each (sqlite-utils records them), so
an archive made by any earlier version is brought up to date when it is opened. The schema they
make, readable in one place, is ``schema.sql`` beside this file; ``python -m
pingan_crawler.storage`` writes it again (and the table reference in docs/archive.md),
and a test fails when it differs from what the migrations make.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlite_utils import Database, Migrations

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
migrations = Migrations("pingan")


@migrations()
def m001_initial(db: Database) -> None:
    db["crawls"].create(
        {
            "id": int,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "args": str,
            "requests": int,
            "pages": int,
            "articles_new": int,
            "articles_updated": int,
            "duplicates": int,
            "errors": int,
            "stats": str,
        },
        pk="id",
    )
    db["snapshot_bodies"].create(
        {"sha256": str, "size": int, "compression": str, "data": bytes}, pk="sha256"
    )
    db["snapshots"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "kind": str,
            "crawl_id": int,
            "fetched_at": str,
            "last_fetched_at": str,
            "fetch_count": int,
            "status": int,
            "fetched_url": str,
            "headers": str,
            "sha256": str,
            "size": int,
            "charset": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("sha256", "snapshot_bodies", "sha256")],
    )
    db["snapshots"].create_index(["url", "sha256"], unique=True)
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "section": str,
            "title": str,
            "published_at": str,
            "published_raw": str,
            "published_precision": str,
            "view_count": int,
            "view_count_raw": str,
            "body": str,
            "body_html": str,
            "source": str,
            "editor": str,
            "author": str,
            "images": str,
            "charset": str,
            "warnings": str,
            "content_hash": str,
            "snapshot_id": int,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["site", "published_at"])
    db["article_urls"].create(
        {
            "url": str,
            "article_id": int,
            "site": str,
            "section": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])
    db["listings"].create(
        {
            "site": str,
            "section": str,
            "article_url": str,
            "list_url": str,
            "link_text": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk=("site", "section", "article_url"),
    )
    db["view_counts"].create(
        {
            "id": int,
            "article_id": int,
            "observed_at": str,
            "count": int,
            "raw": str,
            "method": str,
            "crawl_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("crawl_id", "crawls", "id")],
    )
    db["view_counts"].create_index(["article_id", "observed_at"])
    db["errors"].create(
        {
            "id": int,
            "crawl_id": int,
            "at": str,
            "url": str,
            "kind": str,
            "detail": str,
            "http_status": int,
            "snapshot_id": int,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id"), ("snapshot_id", "snapshots", "id")],
    )
    db["errors"].create_index(["crawl_id", "kind"])
    db.execute(
        "CREATE VIEW article_sections AS SELECT a.id AS article_id, a.url, l.section, "
        "l.list_url, l.first_seen FROM articles a JOIN article_urls u ON u.article_id = a.id "
        "JOIN listings l ON l.article_url = u.url AND l.site = a.site"
    )


@migrations()
def m002_section_walks(db: Database) -> None:
    # A section whose list was walked to its end (or to known articles) at least once. Only
    # such sections may stop paging early: after an interrupted first walk, the next run must
    # walk on to the pages it never reached.
    db["section_walks"].create(
        {"site": str, "section": str, "completed_at": str, "crawl_id": int, "reason": str},
        pk=("site", "section"),
    )


@migrations()
def m003_crawls_blocked(db: Database) -> None:
    # Requests answered by an anti-bot challenge (counted by the block detection).
    db["crawls"].add_column("blocked", int)


@migrations()
def m004_search(db: Database) -> None:
    # Full-text search over title and body. The trigram tokenizer matches any substring of 3+
    # characters, which suits Chinese (no word spaces); shorter queries scan the base table
    # (pingan_crawler/analysis/search.py). External content: the index holds no second copy of
    # the text; the triggers keep it in step with every insert, update and delete of articles.
    db.execute(
        'CREATE VIRTUAL TABLE articles_fts USING FTS5 (title, body, tokenize="trigram", '
        'content="articles", content_rowid="id")'
    )
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    # ORDER BY rank: bm25 with a hit in the title worth five in the body.
    db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)')")
    db.execute(
        "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    db.execute(
        "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); END"
    )
    db.execute(
        "CREATE TRIGGER articles_au AFTER UPDATE OF title, body ON articles BEGIN "
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) "
        "VALUES ('delete', old.id, old.title, old.body); "
        "INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body); END"
    )
    # Short-query search walks titles newest first without reading whole rows.
    db.execute("CREATE INDEX articles_published_title ON articles (published_at, title)")
    # Views for the questions analysts ask most (README, "Views").
    db.execute(
        "CREATE VIEW article_latest_views AS SELECT a.id AS article_id, a.site, a.title, a.url, "
        "a.published_at, v.count AS view_count, v.observed_at, "
        "(SELECT count(*) FROM view_counts c WHERE c.article_id = a.id) AS readings "
        "FROM articles a JOIN view_counts v ON v.id = (SELECT id FROM view_counts w "
        "WHERE w.article_id = a.id AND w.count IS NOT NULL "
        "ORDER BY w.observed_at DESC, w.id DESC LIMIT 1)"
    )
    db.execute(
        "CREATE VIEW articles_per_month AS SELECT site, section, "
        "substr(published_at, 1, 7) AS month, count(*) AS articles, "
        "sum(view_count) AS views FROM articles GROUP BY site, section, month"
    )
    db.execute(
        "CREATE VIEW sources_ranked AS SELECT coalesce(source, '(none)') AS source, "
        "count(*) AS articles, count(DISTINCT site) AS sites, "
        "min(published_at) AS first_published, max(published_at) AS last_published "
        "FROM articles GROUP BY 1 ORDER BY articles DESC"
    )


@migrations()
def m005_hostile(db: Database) -> None:
    # errors.warnings: the parser's warnings for a rejected page (JSON list);
    # crawls.blocked_by: the vendor whose anti-bot challenge stopped the run, if any.
    db["errors"].add_column("warnings", str)
    db["crawls"].add_column("blocked_by", str)


@migrations()
def m006_reposts(db: Database) -> None:
    # Near-duplicate clusters (pingan_crawler/reposts.py). A cluster is made when a second
    # article matches; its original is the earliest published member. article_signatures has a
    # row per article looked at (minhash null: body too short to sign); signature_bands holds
    # its LSH band keys, indexed, so matching a new article is a lookup rather than all-pairs.
    db["repost_clusters"].create(
        {
            "id": int,
            "original_id": int,
            "size": int,
            "sites": str,
            "first_published": str,
            "last_published": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["articles"].add_column("cluster_id", int)
    db["articles"].create_index(["cluster_id"])
    db["article_signatures"].create(
        {
            "article_id": int,
            "version": str,
            "minhash": bytes,
            "shingles": int,
            "chars": int,
            "match_id": int,
            "match_jaccard": float,
            "match_containment": float,
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.execute(
        "CREATE TABLE signature_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL "
        "REFERENCES articles(id), PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db["signature_bands"].create_index(["article_id"])


@migrations()
def m007_view_sources(db: Database) -> None:
    # Where each view count came from: the page itself, or a counter script (its URL). Articles
    # keep their counter URL (for later readings) and how many pages were joined into them.
    db["view_counts"].add_column("counter_url", str)
    db["articles"].add_column("counter_url", str)
    db["articles"].add_column("pages", int)


@migrations()
def m008_distributed(db: Database) -> None:
    # A distributed crawl is one crawls row per worker process, named here; the writer finds
    # the row again after a restart. `ingested` holds the id of every message the writer
    # committed, in the same transaction, so a replayed message is recognised and skipped.
    db["crawls"].add_column("worker", str)
    db["crawls"].create_index(["worker"])
    db["ingested"].create({"id": str, "at": str}, pk="id")


@migrations()
def m009_snapshot_dictionaries(db: Database) -> None:
    # zstd dictionaries trained on a site's own pages (pingan_crawler/compression.py); a body
    # packed with one says so in snapshot_bodies.compression as "zstd:<id>". Never updated.
    db["snapshot_dictionaries"].create(
        {"id": int, "site": str, "created_at": str, "samples": int, "size": int, "data": bytes},
        pk="id",
    )
    db["snapshot_dictionaries"].create_index(["site"])


@migrations()
def m011_credits(db: Database) -> None:
    # Every credit line the page shows (docs/credits.md): credits is JSON, a list of
    # [role, [names]] in page order (a list, not an object, so a role shown twice keeps both
    # places); byline the reporters' line (本报记者 X), counter_kind how the reply of the
    # counter script at counter_url gives the count. Null on rows stored before;
    # `pingan reparse` fills them.
    db["articles"].add_column("credits", str)
    db["articles"].add_column("byline", str)
    db["articles"].add_column("counter_kind", str)


@migrations()
def m012_versions(db: Database) -> None:
    # Takedowns and edits (docs/takedowns.md). Every distinct version of an article is a row of
    # article_versions (its fields, its snapshot, when it was first and last seen); the articles
    # row stays the latest version and says whether the article is live or removed, since
    # when, and when it was last checked (fetched or rechecked). article_changes holds one row
    # per observed edit, removal or restore. An archive made before this gets a first version
    # of every article from its current fields and snapshot.
    db.execute(
        """CREATE TABLE article_versions (
   id INTEGER PRIMARY KEY,
   article_id INTEGER NOT NULL REFERENCES articles(id),
   version INTEGER NOT NULL,
   title TEXT,
   published_at TEXT,
   published_raw TEXT,
   published_precision TEXT,
   source TEXT,
   editor TEXT,
   author TEXT,
   body TEXT,
   body_hash TEXT,
   snapshot_id INTEGER REFERENCES snapshots(id),
   crawl_id INTEGER REFERENCES crawls(id),
   first_seen TEXT,
   last_seen TEXT
)"""
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)
    db.execute(
        """CREATE TABLE article_changes (
   id INTEGER PRIMARY KEY,
   article_id INTEGER NOT NULL REFERENCES articles(id),
   kind TEXT NOT NULL CHECK (kind IN ('edited', 'removed', 'restored')),
   observed_at TEXT NOT NULL,
   url TEXT,
   http_status INTEGER,
   changes TEXT,
   detail TEXT,
   from_version INTEGER,
   to_version INTEGER,
   snapshot_id INTEGER REFERENCES snapshots(id),
   crawl_id INTEGER REFERENCES crawls(id)
)"""
    )
    db["article_changes"].create_index(["observed_at"])
    db["article_changes"].create_index(["article_id"])
    db["articles"].add_column("status", str, not_null_default="live")
    db["articles"].add_column("status_since", str)
    db["articles"].add_column("checked_at", str)
    db["articles"].create_index(["site", "checked_at"])
    db.execute("UPDATE articles SET status_since = first_seen, checked_at = last_seen")
    db.execute(
        "INSERT INTO article_versions (article_id, version, title, published_at, published_raw, "
        "published_precision, source, editor, author, body, body_hash, snapshot_id, crawl_id, "
        "first_seen, last_seen) SELECT a.id, 1, a.title, a.published_at, a.published_raw, "
        "a.published_precision, a.source, a.editor, a.author, a.body, a.content_hash, "
        "a.snapshot_id, s.crawl_id, a.first_seen, a.last_seen "
        "FROM articles a LEFT JOIN snapshots s ON s.id = a.snapshot_id ORDER BY a.id"
    )


@migrations()
def m015_trends(db: Database) -> None:
    # One- and two-character words (毒, 反诈, 信访) without a scan of every body, for `pingan
    # trends` (pingan_crawler/analysis/trends.py): the trigram index's vocabulary, read by term
    # range (every trigram that starts with the word: each place it occurs but the last two
    # characters of a column), and indexes of each body's last two and last character (the
    # rest; titles are read from an index already). The vocabulary is a view of the index.
    db.execute("CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, instance)")
    db.execute("CREATE INDEX articles_body_tail ON articles (substr(body, -2))")
    db.execute("CREATE INDEX articles_body_last ON articles (substr(body, -1))")
    # The report's rankings read these columns, stored after the long body, from indexes.
    db.execute("CREATE INDEX articles_source_site ON articles (source, site, published_at)")
    db.execute("CREATE INDEX articles_editor_site ON articles (editor, site, published_at)")
    db.execute("CREATE INDEX articles_view_count ON articles (view_count)")


# -- schema.sql: the schema of a fresh archive ---------------------------------------------------
_CLAUSE = re.compile(r" (FROM|JOIN|LEFT JOIN|WHERE|GROUP BY|ORDER BY|INSERT INTO|END;?$)")


def _readable(sql: str) -> str:
    """One clause per line for the statements written on one line (views, triggers)."""
    if "\n" in sql:
        return sql
    sql = sql.replace(" AS SELECT ", " AS\n    SELECT ", 1)
    return _CLAUSE.sub(lambda m: "\n    " + m.group(1), sql)


def fresh_schema() -> list[tuple[str, str, str, str]]:
    """(type, name, table, sql) of every object a fresh archive has, grouped by table: each
    table, then its indexes and triggers; the views last. FTS5's own shadow tables are left
    out (the virtual table makes them)."""
    db = Database(memory=True)
    migrations.apply(db)
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    virtual = [r[1] for r in rows if r[0] == "table" and r[3].startswith("CREATE VIRTUAL")]
    shadow = {r[1] for r in rows for v in virtual if r[1].startswith(f"{v}_")}
    tables = [r for r in rows if r[0] == "table" and r[1] not in shadow]
    ordered = []
    for table in tables:
        ordered.append(table)
        ordered += [r for r in rows if r[0] in ("index", "trigger") and r[2] == table[1]]
    ordered += [r for r in rows if r[0] == "view"]
    return ordered


def schema_sql() -> str:
    """The text of schema.sql."""
    lines = [
        "-- The schema of a fresh pingan archive, made by the migrations in schema.py.",
        "-- Generated by `python -m pingan_crawler.storage`: do not edit; a test checks it.",
        "-- What each table and column holds: docs/archive.md.",
    ]
    for kind, name, _table, sql in fresh_schema():
        if kind in ("table", "view"):
            lines += ["", f"-- {kind} {name}"]
        lines.append(_readable(sql.strip()) + ";")
    return "\n".join(lines) + "\n"
