"""Exports on the demo archive: UTF-8 JSONL, Excel-ready CSV, fields, filters, constant memory."""

from __future__ import annotations

import csv
import io
import json
import os
import tracemalloc

import pytest
from conftest import query, run_pingan

from pingan_crawler import Archive
from pingan_crawler.analysis.export import ProgressBar, export
from pingan_crawler.analysis.filters import Filters, QueryError


def test_jsonl_is_utf8_with_arrays_and_all_but_body_html(demo_db, tmp_path):
    out = tmp_path / "a.jsonl"
    result = run_pingan("export", "--format", "jsonl", "-o", str(out), db=demo_db)
    assert result.returncode == 0, result.stderr
    assert "exported 67 articles" in result.stderr
    raw = out.read_bytes()
    assert b"\\u" not in raw and "扫黑除恶".encode() in raw
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert len(records) == 67
    assert "body_html" not in records[0] and {"title", "body", "published_at"} <= records[0].keys()
    assert all(isinstance(r["images"], list) and isinstance(r["warnings"], list) for r in records)
    stored = dict(query(demo_db, "SELECT id, body FROM articles"))
    assert {r["id"]: r["body"] for r in records} == stored


def test_csv_has_a_bom_for_excel_and_round_trips_multiline_bodies(demo_db, tmp_path):
    out = tmp_path / "a.csv"
    assert run_pingan("export", "--format", "csv", "-o", str(out), db=demo_db).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == 67
    stored = dict(query(demo_db, "SELECT id, body FROM articles"))
    assert {int(r["id"]): r["body"] for r in rows} == stored
    assert any("\n" in r["body"] for r in rows)


def test_no_bom_fields_and_filters(demo_db, tmp_path):
    out = tmp_path / "b.csv"
    result = run_pingan(
        "export",
        "--format",
        "csv",
        "--no-bom",
        "--fields",
        "id,title,published_at",
        "--since",
        "2021-01-01",
        "--until",
        "2021-03-31",
        "-o",
        str(out),
        db=demo_db,
    )
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"id,title,published_at\r\n")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    expected = query(
        demo_db,
        "SELECT id FROM articles WHERE published_at >= '2021-01-01' "
        "AND published_at < '2021-04-01' ORDER BY id",
    )
    assert [int(r["id"]) for r in rows] == [e[0] for e in expected] and rows


def test_unknown_field_names_the_field_and_the_choices(demo_db):
    result = run_pingan("export", "--format", "jsonl", "--fields", "title,colour", db=demo_db)
    assert result.returncode == 2
    assert "colour" in result.stderr and "published_at" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_progress_bar_when_not_a_terminal(demo_db):
    result = run_pingan("export", "--format", "jsonl", db=demo_db)
    assert result.stdout.count("\n") == 67
    assert "█" not in result.stderr and "·" not in result.stderr


def test_progress_bar_reports_done_of_total(demo_db):
    archive = Archive(demo_db)
    screen = io.StringIO()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        export(archive, sink, "jsonl", progress=ProgressBar(screen))
    archive.close()
    assert screen.getvalue().endswith("67/67 articles\n")


def _bulk_archive(path, count: int) -> Archive:
    archive = Archive(path)
    body = "全市政法机关扎实开展扫黑除恶常态化工作，" * 20
    with archive.db.atomic():
        archive.db["articles"].insert_all(
            (
                {"url": f"http://x/{n}", "site": "bulk", "title": f"文章{n}", "body": f"{n}{body}"}
                for n in range(count)
            ),
            batch_size=500,
        )
    return archive


def _peak_export_memory(archive: Archive) -> int:
    with open(os.devnull, "w", encoding="utf-8") as sink:
        tracemalloc.start()
        count = export(archive, sink, "jsonl")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert count == archive.db["articles"].count
    return peak


@pytest.mark.slow
def test_export_memory_does_not_grow_with_the_archive(tmp_path):
    # Past the first two batches of rows, memory stays flat: 4× the rows, the same peak.
    small = _peak_export_memory(_bulk_archive(tmp_path / "small.db", 2_500))
    large = _peak_export_memory(_bulk_archive(tmp_path / "large.db", 10_000))
    assert large < small * 1.2, (small, large)


def test_bad_format_and_dates_are_errors(demo_db):
    archive = Archive(demo_db)
    with pytest.raises(QueryError, match="--format"):
        export(archive, io.StringIO(), "xlsx")
    archive.close()
    with pytest.raises(QueryError, match="--until"):
        Filters.parse(until="2021-13-45")
