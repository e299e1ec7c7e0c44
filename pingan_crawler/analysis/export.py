"""Stream articles out as JSONL or CSV, one row at a time (constant memory, any archive size).

JSONL is UTF-8 with the characters themselves (no ``\\u`` escapes) and the JSON columns
(images, warnings, credits) as real arrays; CSV keeps them as JSON text (credits:
``[["编辑", ["张三"]], ["审核", ["李四"]]]``). CSV starts with a byte-order mark by default
because Excel reads a BOM-less CSV as the local code page and garbles Chinese.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from pingan_crawler.analysis.filters import Filters, QueryError
from pingan_crawler.storage import Archive

FORMATS = ("csv", "jsonl")
JSON_COLUMNS = ("images", "warnings", "credits")
# Everything but body_html (large, and over Excel's 32,767-character cell limit); ask for it
# with --fields.
LEFT_OUT_BY_DEFAULT = ("body_html",)
BATCH = 1000


def choose_fields(archive: Archive, fields: str | None) -> list[str]:
    """The columns to export: ``fields`` is comma-separated; unknown names are an error."""
    known = archive.articles.columns()
    if not fields:
        return [c for c in known if c not in LEFT_OUT_BY_DEFAULT]
    chosen = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in known]
    if unknown or not chosen:
        raise QueryError(
            f"--fields: unknown field(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(known)}"
        )
    return chosen


def _json_value(text: str | None):
    """A JSON column as its value (``[]`` is by far the most common); bad JSON stays text."""
    if text == "[]":
        return []
    try:
        return json.loads(text) if text else text
    except ValueError:
        return text


def write_jsonl(batches: Iterator[list[tuple]], fields: list[str], out: TextIO) -> Iterator[int]:
    encode = json.JSONEncoder(ensure_ascii=False).encode
    json_at = [i for i, f in enumerate(fields) if f in JSON_COLUMNS]
    for batch in batches:
        lines = []
        for row in batch:
            record = dict(zip(fields, row, strict=True))
            for i in json_at:
                record[fields[i]] = _json_value(row[i])
            lines.append(encode(record))
        lines.append("")
        out.write("\n".join(lines))
        yield len(batch)


def write_csv(
    batches: Iterator[list[tuple]], fields: list[str], out: TextIO, bom: bool
) -> Iterator[int]:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for batch in batches:
        writer.writerows(batch)
        yield len(batch)


def export(
    archive: Archive,
    out: TextIO,
    fmt: str,
    filters: Filters | None = None,
    fields: str | None = None,
    bom: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the matching articles to ``out``; returns how many. ``progress(done, total)``
    is called after every :data:`BATCH` rows, when given."""
    if fmt not in FORMATS:
        raise QueryError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    chosen = choose_fields(archive, fields)
    total = archive.articles.count(filters) if progress else 0
    batches = archive.articles.batches(chosen, filters, BATCH)
    steps = (
        write_jsonl(batches, chosen, out)
        if fmt == "jsonl"
        else write_csv(batches, chosen, out, bom)
    )
    done = 0
    for written in steps:
        done += written
        if progress:
            progress(done, total)
    if progress and not done:
        progress(0, 0)
    return done


class ProgressBar:
    """A one-line bar on stderr, redrawn at most ten times a second; for terminals only."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30):
        self.stream, self.width, self.last = stream, width, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        filled = self.width * done // total if total else self.width
        bar = "█" * filled + "·" * (self.width - filled)
        self.stream.write(f"\r{bar} {done:,}/{total:,} articles")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
