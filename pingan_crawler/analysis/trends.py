"""Topic trends and the report's figures: every SQL query of `trends`, `report` and the dashboards.

A word is matched exactly as `pingan search` matches it (analysis/search.py): whitespace
separates terms that must all occur; a term of 3+ characters is looked up in the trigram index
(ASCII case ignored, as the index ignores it), a shorter one with ``instr`` on the articles table.
A series is one word, or a preset's words (an article counts when it mentions any of them).

Each query is a :class:`Query` (title, SQL with named parameters, values), so the report can show
the SQL behind a chart and link it to Datasette, where the same text runs as it is. Trends are
counted in one statement per indexed series, plus one scan of the articles for all series that
need it, whatever the number of periods: rows are first grouped by (day, site), which is cheap,
and days are then folded into periods. A period is taken from ``published_at``, stored in
Asia/Shanghai time (+08:00), so its first ten characters are the day in Shanghai. Articles
without a publish time belong to no period: they are counted apart (:attr:`TrendResult.undated`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from pingan_crawler.analysis.filters import Filters, QueryError
from pingan_crawler.analysis.search import split_terms
from pingan_crawler.storage.articles import TRIGRAM, fts_string

PERIODS = ("month", "week", "quarter", "year")
# Made by migration m015: the trigram index's vocabulary, and each body's last two characters.
VOCABULARY = "articles_fts_vocab"
BODY_TAIL, BODY_LAST = "articles_body_tail", "articles_body_last"

# The period of a day 'YYYY-MM-DD' (the column ``day``). A week is ISO 8601 (Monday to Sunday,
# numbered by the year of its Thursday): 'weekday 4' moves on to the next Thursday.
_PERIOD_OF_DAY = {
    "month": "substr(day, 1, 7)",
    "year": "substr(day, 1, 4)",
    "quarter": "substr(day, 1, 4) || '-Q' || ((CAST(substr(day, 6, 2) AS INTEGER) + 2) / 3)",
    "week": "strftime('%Y', day, '-3 days', 'weekday 4') || '-W' || "
    "printf('%02d', (CAST(strftime('%j', day, '-3 days', 'weekday 4') AS INTEGER) - 1) / 7 + 1)",
}


@dataclass(frozen=True)
class Query:
    """One SQL statement with named parameters, as the report shows it and Datasette runs it."""

    title: str
    sql: str
    params: dict = field(default_factory=dict)

    def rows(self, conn: sqlite3.Connection) -> list[dict]:
        cursor = conn.execute(self.sql, self.params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def datasette_url(self, base: str, database: str) -> str:
        """The query on a Datasette serving the archive (``pingan explore``)."""
        args = {"sql": self.sql, **{k: "" if v is None else v for k, v in self.params.items()}}
        return f"{base.rstrip('/')}/{database}?{urlencode(args)}"


@dataclass(frozen=True)
class Series:
    """What one trend line counts: articles matching any alternative (each: all its terms)."""

    name: str
    alternatives: tuple[tuple[str, ...], ...]

    @classmethod
    def of_word(cls, word: str) -> Series:
        return cls(word.strip(), (tuple(split_terms(word)),))

    @classmethod
    def of_words(cls, name: str, words: Iterable[str]) -> Series:
        alternatives = tuple(tuple(split_terms(w)) for w in words)
        if not alternatives:
            raise QueryError(f"preset {name!r} has no words")
        return cls(name, alternatives)


@dataclass(frozen=True)
class TrendRow:
    """Articles of one period (and site) that mention a series, beside all of that period's."""

    period: str
    word: str
    articles: int
    total: int
    share: float | None  # articles / total; None for a period without articles
    site: str | None = None

    def to_dict(self, per_site: bool) -> dict:
        row = {
            "period": self.period,
            "word": self.word,
            "articles": self.articles,
            "total": self.total,
            "share": self.share,
        }
        if per_site:
            row["site"] = self.site
        return row


@dataclass(frozen=True)
class TrendResult:
    rows: list[TrendRow]
    series: list[Series]
    by: str
    per_site: bool
    undated: int  # articles of the slice without a publish time, in no period
    queries: list[Query]


# -- building blocks ----------------------------------------------------------------------------
# A placeholder for Datasette dashboards: each filter in [[ … ]] is dropped when left empty.
DASHBOARD = "dashboard"


def filter_sql(
    filters: Filters | str | None,
    alias: str = "a",
    time_column: str = "published_at",
    section: bool = True,
):
    """``filters`` as SQL conditions with named parameters (:site, :section, :since, :until).

    ``filters`` may be :data:`DASHBOARD`: then the conditions are datasette-dashboards'
    optional blocks over its filters site, since and until (dates, until included).
    """
    if filters == DASHBOARD:
        return [
            f"1 [[ AND {alias}.site = :site ]] [[ AND {alias}.{time_column} >= :since ]] "
            f"[[ AND {alias}.{time_column} < date(:until, '+1 day') ]]"
        ], {}
    filters = filters or Filters()
    clauses, params = [], {}
    for name, column, op in (
        ("site", "site", "="),
        ("section", "section", "="),
        ("since", time_column, ">="),
        ("until", time_column, "<"),
    ):
        value = getattr(filters, name)
        if value and (section or name != "section"):
            clauses.append(f"{alias}.{column} {op} :{name}")
            params[name] = value
    return clauses, params


def _where(clauses: Sequence[str]) -> str:
    return " AND ".join(clauses) or "1"


def _fts_match(terms: Sequence[str]) -> str:
    return " ".join(fts_string(t) for t in terms if len(t) >= TRIGRAM)


class _Params:
    """Named parameters of one statement: each distinct value gets one name."""

    def __init__(self, prefix: str, initial: dict):
        self.prefix, self.values, self._names = prefix, dict(initial), {}

    def name(self, value: str) -> str:
        if value not in self._names:
            self._names[value] = f"{self.prefix}{len(self._names)}"
            self.values[self._names[value]] = value
        return ":" + self._names[value]


def _next_string(text: str) -> str | None:
    """The least string above every string that starts with ``text`` (None: there is none)."""
    last = ord(text[-1])
    return None if last >= 0x10FFFF else text[:-1] + chr(last + 1)


class Matcher:
    """How each term of a word is found, given the indexes this archive has.

    A term of 3+ characters: the trigram index. A term of one or two characters without
    letter case (Chinese, digits): exactly the articles holding a trigram that starts with it
    (read from the index's vocabulary), or whose title holds it (titles are read from an
    index), or whose body ends with it (indexes of each body's last two and last character,
    migration m015): no body is read. A one- or two-letter ASCII term is found the same way
    case-folded, as the index folds it, then checked with ``instr``, which does not. Other
    terms (letters with case beyond ASCII), and archives without m015, are looked for with
    ``instr`` in every article.
    """

    def __init__(self, conn: sqlite3.Connection):
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        self.short_indexed = {VOCABULARY, BODY_TAIL, BODY_LAST} <= names

    def kind(self, term: str) -> str:
        """'long', 'short' (exact from indexes), 'cased' (indexes, then instr) or 'scan'."""
        if len(term) >= TRIGRAM:
            return "long"
        if not self.short_indexed or None in (_next_string(term), _next_string(term.lower())):
            return "scan"
        if term.lower() == term.upper():
            return "short"
        return "cased" if term.isascii() else "scan"

    def indexed(self, series: Series) -> bool:
        return all(self.kind(t) != "scan" for alt in series.alternatives for t in alt)

    def candidates(self, terms: Sequence[str], params: _Params) -> str:
        """A SELECT of ids: every article holding all ``terms`` (perhaps more when 'cased')."""
        sets = []
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        if long_terms:
            sets.append(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH "
                + params.name(_fts_match(long_terms))
            )
        for term in terms:
            if len(term) < TRIGRAM:
                sets.append(self._short_candidates(term, params))
        if len(sets) == 1:
            return sets[0]
        return " INTERSECT ".join(f"SELECT * FROM ({s})" for s in sets)

    @staticmethod
    def _short_candidates(term: str, params: _Params) -> str:
        folded = term.lower()
        w, lo, hi = params.name(term), params.name(folded), params.name(_next_string(folded))
        if len(term) == 2:
            tail = f"SELECT id FROM articles WHERE substr(body, -2) = {w}"
        else:  # the second-last character (or the whole body), and the last
            above = params.name(_next_string(term))
            tail = (
                f"SELECT id FROM articles WHERE substr(body, -2) >= {w} "
                f"AND substr(body, -2) < {above} "
                f"UNION SELECT id FROM articles WHERE substr(body, -1) = {w}"
            )
        return (
            f"SELECT doc FROM {VOCABULARY} WHERE term >= {lo} AND term < {hi} "
            f"UNION SELECT id FROM articles WHERE instr(title, {w}) > 0 UNION {tail}"
        )

    def exact(self, terms: Sequence[str], params: _Params) -> str:
        """A condition on the row ``a``: it holds all ``terms``, as search matches them."""
        parts = []
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        if long_terms:
            parts.append(
                "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH "
                f"{params.name(_fts_match(long_terms))})"
            )
        for term in terms:
            if len(term) < TRIGRAM:
                p = params.name(term)
                parts.append(f"(instr(a.title, {p}) > 0 OR instr(a.body, {p}) > 0)")
        return " AND ".join(parts)

    def condition(self, series: Series, params: _Params) -> str:
        """A condition on ``a`` that holds when the article mentions ``series``.

        Indexed series are a lookup of candidate ids (checked by ``instr`` only for 'cased'
        terms); the others are tested row by row.
        """
        if self.indexed(series):
            ids = " UNION ".join(
                f"SELECT * FROM ({self.candidates(alt, params)})"
                if len(series.alternatives) > 1
                else self.candidates(alt, params)
                for alt in series.alternatives
            )
            condition = f"a.id IN ({ids})"
            if any(self.kind(t) == "cased" for alt in series.alternatives for t in alt):
                condition += f" AND ({self._any_exact(series, params)})"
            return condition
        return self._any_exact(series, params)

    def _any_exact(self, series: Series, params: _Params) -> str:
        alts = [self.exact(a, params) for a in series.alternatives]
        return alts[0] if len(alts) == 1 else " OR ".join(f"({a})" for a in alts)


def _grouped(inner_select: str, by: str, per_site: bool, sums: Sequence[str]) -> str:
    """Wrap a per-(day[, site]) grouping into per-(period[, site]) sums."""
    site = ", site" if per_site else ""
    totals = ", ".join(f"sum({s}) AS {s}" for s in sums)
    return (
        f"SELECT {_PERIOD_OF_DAY[by]} AS period{site}, {totals} FROM ({inner_select}) "
        f"GROUP BY period{site} ORDER BY period{site}"
    )


def _day_columns(per_site: bool) -> tuple[str, str]:
    if per_site:
        return "substr(a.published_at, 1, 10) AS day, a.site AS site", "day, site"
    return "substr(a.published_at, 1, 10) AS day", "day"


# -- trend queries ------------------------------------------------------------------------------
def totals_query(filters: Filters | None, by: str, per_site: bool) -> Query:
    """All articles of each period (and site)."""
    clauses, params = filter_sql(filters)
    columns, group = _day_columns(per_site)
    where = _where(["a.published_at IS NOT NULL", *clauses])
    inner = f"SELECT {columns}, count(*) AS total FROM articles a WHERE {where} GROUP BY {group}"
    return Query(f"articles per {by}", _grouped(inner, by, per_site, ["total"]), params)


def indexed_query(
    matcher: Matcher, series: Series, filters: Filters | None, by: str, per_site: bool
) -> Query:
    """Articles mentioning ``series`` per period, found through indexes (no body scanned)."""
    clauses, initial = filter_sql(filters)
    params = _Params("w", initial)
    where = _where([matcher.condition(series, params), "+a.published_at IS NOT NULL", *clauses])
    columns, group = _day_columns(per_site)
    inner = f"SELECT {columns}, count(*) AS articles FROM articles a WHERE {where} GROUP BY {group}"
    return Query(
        f"articles per {by} mentioning {series.name}",
        _grouped(inner, by, per_site, ["articles"]),
        params.values,
    )


def scanned_query(
    matcher: Matcher,
    series_list: Sequence[Series],
    filters: Filters | None,
    by: str,
    per_site: bool,
) -> Query:
    """Articles mentioning each series per period, in one scan of the articles."""
    clauses, initial = filter_sql(filters)
    params = _Params("w", initial)
    names = [f"s{n}" for n in range(len(series_list))]
    sums = ", ".join(
        f"sum({matcher.condition(s, params)}) AS {name}"
        for s, name in zip(series_list, names, strict=True)
    )
    columns, group = _day_columns(per_site)
    # The unary + keeps the planner off the publish-time index for this test: reading every
    # row through it jumps about the table (4× slower than a scan in rowid order).
    where = _where(["+a.published_at IS NOT NULL", *clauses])
    inner = f"SELECT {columns}, {sums} FROM articles a WHERE {where} GROUP BY {group}"
    title = "articles per " + by + " mentioning " + ", ".join(s.name for s in series_list)
    return Query(title, _grouped(inner, by, per_site, names), params.values)


def undated_query(filters: Filters | None) -> Query:
    clauses, params = filter_sql(
        Filters(site=filters.site, section=filters.section) if filters else None
    )
    return Query(
        "articles without a publish time",
        "SELECT count(*) AS undated FROM articles a WHERE "
        + _where(["a.published_at IS NULL", *clauses]),
        params,
    )


def trends(
    conn: sqlite3.Connection,
    series: Sequence[Series],
    by: str = "month",
    filters: Filters | None = None,
    per_site: bool = False,
) -> TrendResult:
    """Per period (and site), the articles mentioning each series, the total, and the share.

    Every period from the first to the last with an article is listed (a period without any
    article has total 0 and share None), each with a row per series, in the order given.
    """
    if by not in PERIODS:
        raise QueryError(f"--by must be one of {', '.join(PERIODS)}, not {by!r}")
    if not series:
        raise QueryError("give at least one word or --preset")
    names = [s.name for s in series]
    if len(set(names)) != len(names):
        raise QueryError(f"a word is given twice: {', '.join(names)}")
    totals = totals_query(filters, by, per_site)
    queries = [totals]
    matcher = Matcher(conn)
    counts: dict[tuple[str | None, str, str], int] = {}  # (site, period, series) → articles
    try:
        for s in (s for s in series if matcher.indexed(s)):
            query = indexed_query(matcher, s, filters, by, per_site)
            queries.append(query)
            for row in query.rows(conn):
                counts[row.get("site"), row["period"], s.name] = row["articles"]
        scanned = [s for s in series if not matcher.indexed(s)]
        if scanned:
            query = scanned_query(matcher, scanned, filters, by, per_site)
            queries.append(query)
            for row in query.rows(conn):
                for n, s in enumerate(scanned):
                    counts[row.get("site"), row["period"], s.name] = row[f"s{n}"] or 0
        total_rows = totals.rows(conn)
        undated = undated_query(filters).rows(conn)[0]["undated"] if not _dated(filters) else 0
    except sqlite3.OperationalError as exc:  # e.g. a term the tokenizer cannot take
        raise QueryError(f"cannot count {', '.join(names)}: {exc}") from exc
    by_site: dict[str | None, dict[str, int]] = {}
    for row in total_rows:
        by_site.setdefault(row.get("site"), {})[row["period"]] = row["total"]
    rows = []
    for site in sorted(by_site, key=lambda s: s or ""):
        period_totals = by_site[site]
        for period in period_range(min(period_totals), max(period_totals), by):
            total = period_totals.get(period, 0)
            for name in names:
                articles = counts.get((site, period, name), 0)
                share = articles / total if total else None
                rows.append(TrendRow(period, name, articles, total, share, site))
    return TrendResult(rows, list(series), by, per_site, undated, queries)


def _dated(filters: Filters | None) -> bool:
    return bool(filters and (filters.since or filters.until))


# -- periods in Python (to list the periods that have no article) ---------------------------------
def period_of(day: date, by: str) -> str:
    if by == "month":
        return f"{day:%Y-%m}"
    if by == "year":
        return f"{day:%Y}"
    if by == "quarter":
        return f"{day:%Y}-Q{(day.month + 2) // 3}"
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _first_day(period: str, by: str) -> date:
    if by == "month":
        return date(int(period[:4]), int(period[5:7]), 1)
    if by == "year":
        return date(int(period), 1, 1)
    if by == "quarter":
        return date(int(period[:4]), 3 * int(period[-1]) - 2, 1)
    return date.fromisocalendar(int(period[:4]), int(period[6:]), 1)


def _next_period(period: str, by: str) -> str:
    start = _first_day(period, by)
    if by == "week":
        return period_of(start + timedelta(days=7), by)
    if by == "year":
        return str(start.year + 1)
    months = 3 if by == "quarter" else 1
    month = start.month - 1 + months
    return period_of(date(start.year + month // 12, month % 12 + 1, 1), by)


def period_range(first: str, last: str, by: str) -> list[str]:
    """Every period from ``first`` to ``last``, both included."""
    periods = [first]
    while periods[-1] < last:
        periods.append(_next_period(periods[-1], by))
    return periods


# -- the report's figures (also the dashboards' and canned queries of `pingan explore`) -----------
def has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone()
    return found is not None


def has_changes(conn: sqlite3.Connection) -> bool:
    """Whether ``pingan recheck`` has recorded anything yet: the table exists in every archive
    since m012, so its charts and queries appear only once it holds a row."""
    if not has_table(conn, "article_changes"):
        return False
    return conn.execute("SELECT 1 FROM article_changes LIMIT 1").fetchone() is not None


def overview_query(filters: Filters | str | None) -> Query:
    clauses, params = filter_sql(filters)
    return Query(
        "the archive in figures",
        "SELECT count(*) AS articles, count(DISTINCT a.site) AS sites, "
        "min(a.published_at) AS first_published, max(a.published_at) AS last_published, "
        "sum(a.published_at IS NULL) AS undated FROM articles a WHERE " + _where(clauses),
        params,
    )


def per_month_per_site_query(filters: Filters | str | None) -> Query:
    clauses, params = filter_sql(filters)
    where = _where(["a.published_at IS NOT NULL", *clauses])
    return Query(
        "articles per month per site",
        "SELECT substr(a.published_at, 1, 7) AS month, a.site, count(*) AS articles "
        f"FROM articles a WHERE {where} GROUP BY month, a.site ORDER BY month, a.site",
        params,
    )


def top_credits_query(column: str, filters: Filters | str | None, limit: int = 15) -> Query:
    """The ``column`` ('source': 来源, 'editor': 责任编辑, 'author') with the most articles."""
    if column not in ("source", "editor", "author"):
        raise ValueError(f"no credit column {column!r}")
    clauses, params = filter_sql(filters)
    where = _where([f"nullif(trim(a.{column}), '') IS NOT NULL", *clauses])
    return Query(
        f"top {column}s",
        f"SELECT trim(a.{column}) AS {column}, count(*) AS articles, "
        "count(DISTINCT a.site) AS sites, min(a.published_at) AS first_published, "
        f"max(a.published_at) AS last_published FROM articles a WHERE {where} "
        f"GROUP BY trim(a.{column}) ORDER BY articles DESC, {column} LIMIT {int(limit)}",
        params,
    )


def _most_viewed_ids(where: str, limit: int) -> str:
    return (
        f"SELECT a.id FROM articles a WHERE a.view_count IS NOT NULL AND {where} "
        f"ORDER BY a.view_count DESC, a.id LIMIT {int(limit)}"
    )


def most_viewed_query(filters: Filters | str | None, limit: int = 20) -> Query:
    clauses, params = filter_sql(filters)
    ids = _most_viewed_ids(_where(clauses), limit)
    return Query(
        "most-viewed articles (latest reading)",
        "SELECT a.id, a.site, substr(a.published_at, 1, 10) AS published, a.title, "
        "a.view_count, (SELECT count(*) FROM view_counts v WHERE v.article_id = a.id) "
        f"AS readings, a.url FROM articles a WHERE a.id IN ({ids}) "
        "ORDER BY a.view_count DESC, a.id",
        params,
    )


def view_history_query(filters: Filters | str | None, limit: int = 8) -> Query:
    """Every view-count reading of the most-viewed articles, oldest first."""
    clauses, params = filter_sql(filters)
    ids = _most_viewed_ids(_where(clauses), limit)
    return Query(
        "view counts of the most-viewed articles over time",
        "SELECT v.article_id, substr(a.title, 1, 24) AS title, v.observed_at, v.count "
        "FROM view_counts v JOIN articles a ON a.id = v.article_id "
        f"WHERE v.count IS NOT NULL AND v.article_id IN ({ids}) "
        "ORDER BY v.article_id, v.observed_at",
        params,
    )


def _copies(filters: Filters | str | None) -> tuple[str, dict]:
    """Each repost: its site, its original's, and the lag in hours (None: a time unknown)."""
    if filters == DASHBOARD:
        (dates,), params = filter_sql(DASHBOARD, "c")
        clauses = [
            "1 [[ AND :site IN (o.site, c.site) ]]",
            dates.replace(" [[ AND c.site = :site ]]", ""),
        ]
    else:
        filters = filters or Filters()
        clauses, params = filter_sql(Filters(since=filters.since, until=filters.until), "c")
        if filters.site:
            clauses.append(":site IN (o.site, c.site)")
            params["site"] = filters.site
    sql = (
        "SELECT o.site AS original_site, c.site AS copy_site, "
        "(julianday(c.published_at) - julianday(o.published_at)) * 24 AS lag_hours "
        "FROM articles c JOIN repost_clusters k ON k.id = c.cluster_id "
        "JOIN articles o ON o.id = k.original_id WHERE c.id != o.id AND " + _where(clauses)
    )
    return sql, params


def repost_flows_query(filters: Filters | str | None) -> Query:
    """Which sites copy which: copies per (original site, copying site), and how fast."""
    copies, params = _copies(filters)
    return Query(
        "repost flows: copies per original site and copying site, and how fast",
        f"WITH copies AS ({copies}), ranked AS (SELECT *, row_number() OVER (PARTITION BY "
        "original_site, copy_site ORDER BY lag_hours IS NULL, lag_hours) AS n, "
        "count(lag_hours) OVER (PARTITION BY original_site, copy_site) AS timed FROM copies) "
        "SELECT original_site, copy_site, count(*) AS copies, "
        "round(min(lag_hours), 1) AS fastest_hours, round(avg(CASE WHEN lag_hours IS NOT NULL "
        "AND n IN ((timed + 1) / 2, (timed + 2) / 2) THEN lag_hours END), 1) AS median_hours "
        "FROM ranked GROUP BY original_site, copy_site ORDER BY copies DESC, original_site, "
        "copy_site",
        params,
    )


LAG_BUCKETS = ("< 1 h", "1–6 h", "6–24 h", "1–3 d", "3–7 d", "> 7 d", "unknown")


def repost_lags_query(filters: Filters | str | None) -> Query:
    """How long after the original its copies appeared, in buckets."""
    copies, params = _copies(filters)
    bucket = (
        "CASE WHEN lag_hours IS NULL THEN 7 WHEN lag_hours < 1 THEN 1 WHEN lag_hours < 6 "
        "THEN 2 WHEN lag_hours < 24 THEN 3 WHEN lag_hours < 72 THEN 4 WHEN lag_hours < 168 "
        "THEN 5 ELSE 6 END"
    )
    labels = " ".join(f"WHEN {n} THEN '{label}'" for n, label in enumerate(LAG_BUCKETS, 1))
    return Query(
        "how fast copies follow their original",
        f"SELECT {bucket} AS bucket, CASE {bucket} {labels} END AS lag, count(*) AS copies "
        f"FROM ({copies}) GROUP BY bucket ORDER BY bucket",
        params,
    )


def changes_per_month_query(filters: Filters | str | None) -> Query:
    """Takedowns, edits and restores seen by `pingan recheck`, per month (issue 16's tables)."""
    clauses, params = filter_sql(filters, "ch", "observed_at", section=False)
    clauses = [c.replace("ch.site", "a.site") for c in clauses]
    return Query(
        "changes seen per month: removed, edited, restored",
        "SELECT substr(ch.observed_at, 1, 7) AS month, ch.kind, count(*) AS changes, "
        "count(DISTINCT ch.article_id) AS articles FROM article_changes ch "
        f"JOIN articles a ON a.id = ch.article_id WHERE {_where(clauses)} "
        "GROUP BY month, ch.kind ORDER BY month, ch.kind",
        params,
    )


def latest_changes_query(filters: Filters | str | None, limit: int = 30) -> Query:
    clauses, params = filter_sql(filters, "ch", "observed_at", section=False)
    clauses = [c.replace("ch.site", "a.site") for c in clauses]
    return Query(
        "the latest changes",
        "SELECT ch.observed_at, ch.kind, a.site, a.title, ch.http_status, a.url "
        f"FROM article_changes ch JOIN articles a ON a.id = ch.article_id "
        f"WHERE {_where(clauses)} ORDER BY ch.observed_at DESC, ch.id DESC LIMIT {int(limit)}",
        params,
    )


def crawl_health_query(filters: Filters | str | None, chars: int = 10) -> Query:
    """Runs, pages, errors and blocked runs per day (``chars`` 10) or month (7) and site."""
    clauses, params = filter_sql(filters, "c", "started_at", section=False)
    return Query(
        "crawl health: runs, pages, errors and blocked runs",
        f"SELECT substr(c.started_at, 1, {int(chars)}) AS period, c.site, count(*) AS runs, "
        "coalesce(sum(c.pages), 0) AS pages, coalesce(sum(c.articles_new), 0) AS new_articles, "
        "coalesce(sum(c.errors), 0) AS errors, sum(coalesce(c.blocked, 0) > 0 OR "
        "c.blocked_by IS NOT NULL) AS blocked_runs, sum(coalesce(c.finish_reason, '') != "
        f"'finished') AS unfinished_runs FROM crawls c WHERE {_where(clauses)} "
        "GROUP BY period, c.site ORDER BY period, c.site",
        params,
    )


def crawl_span_query(filters: Filters | str | None) -> Query:
    clauses, params = filter_sql(filters, "c", "started_at", section=False)
    return Query(
        "first and last crawl",
        "SELECT count(*) AS runs, min(c.started_at) AS first_run, max(c.started_at) AS last_run "
        f"FROM crawls c WHERE {_where(clauses)}",
        params,
    )


def errors_by_kind_query(filters: Filters | str | None) -> Query:
    clauses, params = filter_sql(filters, "c", "started_at", section=False)
    return Query(
        "errors by kind",
        "SELECT e.kind, count(*) AS errors, count(DISTINCT e.crawl_id) AS runs, "
        "max(e.at) AS last_seen FROM errors e JOIN crawls c ON c.id = e.crawl_id "
        f"WHERE {_where(clauses)} GROUP BY e.kind ORDER BY errors DESC, e.kind",
        params,
    )


def latest_runs_query(filters: Filters | str | None, limit: int = 20) -> Query:
    clauses, params = filter_sql(filters, "c", "started_at", section=False)
    return Query(
        "the latest crawl runs",
        "SELECT c.id, c.site, c.started_at, c.finish_reason, c.pages, c.articles_new, "
        "c.errors, c.blocked, c.blocked_by FROM crawls c "
        f"WHERE {_where(clauses)} ORDER BY c.started_at DESC, c.id DESC LIMIT {int(limit)}",
        params,
    )


# -- one word given at run time (Datasette: dashboards and canned queries) ------------------------
def _word_ids(word: str = ":word") -> str:
    """A SELECT of the ids of articles that may hold ``word`` (a parameter), any length.

    The same indexes as :class:`Matcher`, chosen in SQL by the word's length; the two- and
    one-character branches are checked with ``instr`` by the caller (see :func:`word_match`).
    (SQLite's ``lower`` folds ASCII only: a short word in other letters with case may be missed
    here where `pingan trends` finds it.)
    """
    fts = "'\"' || replace(" + word + ", '\"', '\"\"') || '\"'"

    def above(text: str) -> str:  # the least string above all that start with text
        return (
            f"substr({text}, 1, length({text}) - 1) || "
            f"char(unicode(substr({text}, length({text}), 1)) + 1)"
        )

    short = f"length({word}) < 3"
    return (
        f"SELECT rowid FROM articles_fts WHERE length({word}) >= 3 AND articles_fts MATCH {fts} "
        f"UNION SELECT doc FROM {VOCABULARY} WHERE {short} "
        f"AND term >= lower({word}) AND term < {above(f'lower({word})')} "
        f"UNION SELECT id FROM articles WHERE {short} AND instr(title, {word}) > 0 "
        f"UNION SELECT id FROM articles WHERE length({word}) = 2 AND substr(body, -2) = {word} "
        f"UNION SELECT id FROM articles WHERE length({word}) = 1 AND substr(body, -2) >= {word} "
        f"AND substr(body, -2) < {above(word)} "
        f"UNION SELECT id FROM articles WHERE length({word}) = 1 AND substr(body, -1) = {word}"
    )


def word_match(word: str = ":word") -> str:
    """A condition on ``a``: the article holds ``word`` (a parameter) in its title or body."""
    return (
        f"length({word}) > 0 AND a.id IN ({_word_ids(word)}) AND (length({word}) >= 3 "
        f"OR instr(a.title, {word}) > 0 OR instr(a.body, {word}) > 0)"
    )


def word_trend_query(filters: Filters | str | None = DASHBOARD) -> Query:
    """Per month: all articles, those mentioning :word, and the share in percent."""
    clauses, params = filter_sql(filters)
    where = _where(["a.published_at IS NOT NULL", *clauses])
    return Query(
        "articles per month mentioning a word (:word), beside all articles",
        "SELECT t.month, t.total, coalesce(m.articles, 0) AS articles, "
        "round(100.0 * coalesce(m.articles, 0) / t.total, 2) AS percent FROM "
        "(SELECT substr(a.published_at, 1, 7) AS month, count(*) AS total FROM articles a "
        f"WHERE {where} GROUP BY month) t LEFT JOIN "
        "(SELECT substr(a.published_at, 1, 7) AS month, count(*) AS articles FROM articles a "
        f"WHERE {word_match()} AND {where} GROUP BY month) m USING (month) ORDER BY t.month",
        params,
    )


def word_search_query(word: str = ":word") -> Query:
    """Articles holding ``word`` (a parameter; any length), title hits first, then the newest."""
    return Query(
        "search titles and bodies for any text, also 1–2 characters (扫黑, 反诈)",
        "SELECT a.id, a.published_at, a.site, a.section, a.title, a.url FROM articles a "
        f"WHERE {word_match(word)} ORDER BY instr(a.title, {word}) = 0, a.published_at DESC "
        "LIMIT 200",
    )
