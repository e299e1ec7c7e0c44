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
) -> list[SearchHit]:
    """Articles containing every term of ``query``, best first.

    With at least one term of 3+ characters the trigram index finds candidates and ranks them
    by bm25 (title hits weigh more); the other terms filter those candidates with ``instr``.
    With only short terms the articles table is scanned; title hits come first, then newest.
    """
    if limit < 1:
        raise QueryError(f"--limit must be at least 1, not {limit}")
    terms = split_terms(query)
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    where, params = (filters or Filters()).where("a")
    for term in short_terms:
        where += " AND (instr(a.title, ?) > 0 OR instr(a.body, ?) > 0)"
        params += [term, term]
    columns = "a.id, a.url, a.site, a.section, a.title, a.published_at, a.view_count, a.body"
    if long_terms:
        sql = (
            f"SELECT {columns} FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND {where} "
            "ORDER BY bm25(articles_fts, 5.0, 1.0) LIMIT ?"
        )
        params = [" ".join(fts_string(t) for t in long_terms), *params, limit]
    else:
        sql = (
            f"SELECT {columns} FROM articles a WHERE {where} "
            "ORDER BY instr(a.title, ?) = 0, a.published_at DESC, a.id DESC LIMIT ?"
        )
        params = [*params, short_terms[0], limit]
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:  # e.g. a term the tokenizer cannot take
        raise QueryError(f"cannot search for {query!r}: {exc}") from exc
    return [
        SearchHit(n, *row[:7], snippet=make_snippet(row[4] or "", row[7] or "", terms, mark))
        for n, row in enumerate(rows, start=1)
    ]


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
