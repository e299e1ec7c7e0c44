"""``pingan changes``: every observed edit, removal and restore, as a table, JSON lines or CSV.

One row per change: url, site, title (as it was before the change), kind, observed_at,
http_status, ``changes`` (edits: ``{field: [old, new]}``, the body as its changed passages
``[[old passages], [new passages]]``) and ``detail`` (removals and restores: what the URL
answered). Rows stream from the archive oldest first.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from pingan_crawler.analysis.filters import QueryError, date_bound
from pingan_crawler.storage import Archive
from pingan_crawler.storage.articles import CHANGE_KINDS

FORMATS = ("table", "json", "csv")
KEYS = ("url", "site", "title", "kind", "observed_at", "http_status", "changes", "detail")
_SHORT = 40


def observed_changes(
    archive: Archive,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kind: str | None = None,
) -> Iterator[dict]:
    """The changes matching the filters (``since``/``until`` as typed: dates, ``until``
    inclusive); QueryError for a bad date or kind."""
    if kind and kind not in CHANGE_KINDS:
        raise QueryError(f"--kind must be one of {', '.join(CHANGE_KINDS)}, not {kind!r}")
    yield from archive.articles.changes(
        site=site,
        since=date_bound(since, "--since"),
        until=date_bound(until, "--until", end=True),
        kind=kind,
    )


def _short(value) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def describe(row: dict) -> str:
    """What changed, in one line: ``title: 'old' → 'new'; body: 1 passage`` or the detail."""
    if not row["changes"]:
        return row["detail"] or ""
    parts = []
    for name, (old, new) in row["changes"].items():
        if name == "body":
            parts.append(f"body: {len(new)} passage{'s' if len(new) != 1 else ''} changed")
        else:
            parts.append(f"{name}: {_short(old)!r} → {_short(new)!r}")
    return "; ".join(parts)


def print_changes(rows: Iterator[dict], fmt: str, out: TextIO) -> int:
    """Write the rows as ``table``, ``json`` (one object per line) or ``csv``; how many."""
    if fmt not in FORMATS:
        raise QueryError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    count = 0
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(KEYS)
    for row in rows:
        count += 1
        record = {key: row[key] for key in KEYS}
        if fmt == "json":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif writer:
            changes = record["changes"]
            record["changes"] = json.dumps(changes, ensure_ascii=False) if changes else ""
            writer.writerow(record.values())
        else:
            status = row["http_status"] if row["http_status"] is not None else "-"
            out.write(
                f"{row['observed_at'][:16].replace('T', ' ')}  {row['kind']:<8}  "
                f"{row['site']}  HTTP {status}  {row['title']}\n"
                f"    {describe(row)}\n    {row['url']}\n"
            )
    return count
