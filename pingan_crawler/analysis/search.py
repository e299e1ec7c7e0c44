"""Chinese full-text search: trigram FTS5 for terms of 3+ characters, a base-table scan below.

The trigram index matches any substring of at least three characters. Shorter terms (扫黑, 绍兴,
反诈) match nothing in it, and on SQLite 3.40 ``LIKE`` against the FTS table wrongly returns
nothing for short CJK patterns too, so short terms are looked up with ``instr`` on the articles
table itself. User text never reaches FTS5 syntax unquoted: each term becomes an FTS5 string.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from dataclasses import asdict, dataclass
from typing import TextIO

from pingan_crawler.analysis.filters import Filters, QueryError

TRIGRAM = 3
SNIPPET_CONTEXT = 24  # characters shown each side of the first hit
DEFAULT_MARK = ("【", "】")
ORDERS = ("relevance", "recent")


@dataclass(frozen=True)
class SearchHit:
    """One matching article, best first; ``snippet`` shows the first hit between the marks."""

    rank: int
    id: int
    url: str
    site: str
    section: str | None
    title: str
    published_at: str | None
    view_count: int | None
    snippet: str

    def to_dict(self) -> dict:
        return asdict(self)


def split_terms(query: str) -> list[str]:
    """Whitespace separates terms (all must match); a term is matched as a literal substring."""
    terms = [t for t in re.split(r"\s+", query.strip()) if t]
    if not terms:
        raise QueryError("empty search: give at least one character to look for")
    return terms


def fts_string(term: str) -> str:
    """``term`` as an FTS5 string literal: quotes doubled, so no character is syntax."""
    return '"' + term.replace('"', '""') + '"'


def search(
    conn: sqlite3.Connection,
    query: str,
    filters: Filters | None = None,
    limit: int = 20,
    mark: tuple[str, str] = DEFAULT_MARK,
    order: str = "relevance",
) -> list[SearchHit]:
    """Articles containing every term of ``query``, best first.

    With at least one term of 3+ characters the trigram index finds the articles; ``relevance``
    ranks them by bm25 (a title hit worth five body hits), which costs time in proportion to
    the number of matches. With only short terms the articles table is scanned; title hits
    come first, then the newest published. ``recent`` orders either kind by archive order,
    most recently stored first, and stops at ``limit`` matches: fast whatever the archive size.
    """
    if limit < 1:
        raise QueryError(f"--limit must be at least 1, not {limit}")
    if order not in ORDERS:
        raise QueryError(f"--order must be one of {', '.join(ORDERS)}, not {order!r}")
    terms = split_terms(query)
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    where, params = (filters or Filters()).where("a")
    for term in short_terms:
        where += " AND (instr(a.title, ?) > 0 OR instr(a.body, ?) > 0)"
        params += [term, term]
    # First the ids of the best rows only (sorts that carry no text), then their fields.
    try:
        if long_terms:
            match = " ".join(fts_string(t) for t in long_terms)
            ids = _indexed_ids(conn, match, where, params, limit, order)
        else:
            ids = _scanned_ids(conn, short_terms[0], where, params, limit, order)
    except sqlite3.OperationalError as exc:  # e.g. a term the tokenizer cannot take
        raise QueryError(f"cannot search for {query!r}: {exc}") from exc
    marks = ", ".join("?" * len(ids))
    rows = {
        row[0]: row
        for row in conn.execute(
            "SELECT id, url, site, section, title, published_at, view_count, body "
            f"FROM articles WHERE id IN ({marks})",
            ids,
        )
    }
    return [
        SearchHit(
            n, *rows[i][:7], snippet=make_snippet(rows[i][4] or "", rows[i][7] or "", terms, mark)
        )
        for n, i in enumerate(ids, start=1)
    ]


def _indexed_ids(
    conn: sqlite3.Connection, match: str, where: str, params: list, limit: int, order: str
) -> list[int]:
    by = "rank" if order == "relevance" else "rowid DESC"
    if where == "1":
        sql = f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY {by} LIMIT ?"
    else:
        sql = (
            "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND {where} ORDER BY articles_fts.{by} LIMIT ?"
        )
    return [row[0] for row in conn.execute(sql, [match, *params, limit])]


def _scanned_ids(
    conn: sqlite3.Connection, first: str, where: str, params: list, limit: int, order: str
) -> list[int]:
    """Short terms: title hits newest first (an index holds titles), then body-only hits."""
    if order == "recent":
        sql = f"SELECT a.id FROM articles a WHERE {where} ORDER BY a.id DESC LIMIT ?"
        return [row[0] for row in conn.execute(sql, [*params, limit])]
    ids: list[int] = []
    for in_title in ("> 0", "= 0"):
        sql = (
            f"SELECT a.id FROM articles a WHERE instr(a.title, ?) {in_title} AND {where} "
            "ORDER BY a.published_at DESC, a.id DESC LIMIT ?"
        )
        ids += [row[0] for row in conn.execute(sql, [first, *params, limit - len(ids)])]
        if len(ids) >= limit:
            break
    return ids


def _find(text: str, term: str) -> int:
    """Index of ``term`` in ``text``, ASCII case ignored as the trigram index ignores it."""
    at = text.find(term)
    return at if at >= 0 else text.lower().find(term.lower())


def make_snippet(title: str, body: str, terms: list[str], mark: tuple[str, str]) -> str:
    """A window of the body around the first hit, every term inside it marked."""
    hits = [at for at in (_find(body, t) for t in terms) if at >= 0]
    if not hits:  # the hit is in the title only
        start, end = 0, min(len(body), 2 * SNIPPET_CONTEXT)
    else:
        first = min(hits)
        start = max(0, first - SNIPPET_CONTEXT)
        end = min(len(body), first + SNIPPET_CONTEXT + max(len(t) for t in terms))
    window = body[start:end].replace("\n", " ")
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    window = pattern.sub(lambda m: f"{mark[0]}{m.group(0)}{mark[1]}", window)
    return ("…" if start > 0 else "") + window + ("…" if end < len(body) else "")


def print_hits(hits: list[SearchHit], fmt: str, out: TextIO) -> None:
    """Hits as a readable list (``table``), a JSON array, or CSV with a header row."""
    if fmt == "json":
        json.dump([h.to_dict() for h in hits], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        names = list(SearchHit.__dataclass_fields__)
        writer.writerow(names)
        for hit in hits:
            writer.writerow([getattr(hit, n) for n in names])
    else:
        for hit in hits:
            day = (hit.published_at or "----------")[:10]
            where = f"{hit.site}/{hit.section}" if hit.section else hit.site
            out.write(f"{hit.rank:>3}. {day}  {where}  {hit.title}\n")
            out.write(f"     {hit.snippet}\n     {hit.url}\n")
