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
from pingan_crawler.storage import Archive
from pingan_crawler.storage.articles import SEARCH_ORDERS as ORDERS

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


def search(
    archive: Archive,
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
    (The lookup itself is :meth:`pingan_crawler.storage.articles.Articles.find`.)
    """
    if limit < 1:
        raise QueryError(f"--limit must be at least 1, not {limit}")
    if order not in ORDERS:
        raise QueryError(f"--order must be one of {', '.join(ORDERS)}, not {order!r}")
    terms = split_terms(query)
    try:
        rows = archive.articles.find(terms, filters, limit, order)
    except sqlite3.OperationalError as exc:  # e.g. a term the tokenizer cannot take
        raise QueryError(f"cannot search for {query!r}: {exc}") from exc
    return [
        SearchHit(
            n,
            row["id"],
            row["url"],
            row["site"],
            row["section"],
            row["title"],
            row["published_at"],
            row["view_count"],
            snippet=make_snippet(row["title"] or "", row["body"] or "", terms, mark),
        )
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
