"""Analyst commands over topics: `trends` (counts per period, a chart) and `report` (one page).

The substance lives in analysis/trends.py (the SQL), analysis/topics.py (presets),
analysis/charts.py (Vega-Lite) and analysis/report.py (the page).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from pathlib import Path
from typing import TextIO

from pingan_crawler.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    AddCommand,
    add_filters,
    filters_of,
    open_archive,
    output_path,
    silence_stdout,
)

FIELDS = ("period", "word", "articles", "total", "share")


def _series(args: argparse.Namespace):
    """The series asked for: each WORD, then each --preset (its words, any of them)."""
    from pingan_crawler.analysis.topics import choose, load_presets
    from pingan_crawler.analysis.trends import Series

    series = [Series.of_word(w) for w in args.words or ()]
    if args.preset:
        series += choose(args.preset, load_presets(args.preset_file or ()))
    return series


def print_presets(files: list[str], out: TextIO) -> None:
    from pingan_crawler.analysis.topics import BUNDLED, load_presets

    for preset in load_presets(files).values():
        where = "" if preset.file.parent == BUNDLED else f"  [{preset.file}]"
        out.write(f"{preset.name}: {' / '.join(preset.words)}{where}\n")
        if preset.description:
            out.write(f"    {preset.description}\n")


def print_trends(result, fmt: str, out: TextIO) -> None:
    """JSON: one object per line; CSV: one row per (period, word[, site]); table: wide."""
    per_site = result.per_site
    if fmt == "json":
        for row in result.rows:
            out.write(json.dumps(row.to_dict(per_site), ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*FIELDS, "site"] if per_site else FIELDS)
        for row in result.rows:
            writer.writerow(row.to_dict(per_site).values())
        return
    names = [s.name for s in result.series]
    widths = [max(_columns(n), 13) for n in names]
    site_width = max([len(r.site or "") for r in result.rows] + [4])
    head = [f"{'site':<{site_width}}  " if per_site else "", f"{'period':<8}  {'articles':>8}"]
    head += [f"  {_pad(n, w)}" for n, w in zip(names, widths, strict=True)]
    out.write("".join(head) + "\n")
    for at in range(0, len(result.rows), len(names)):
        group = result.rows[at : at + len(names)]
        first = group[0]
        line = [f"{first.site:<{site_width}}  " if per_site else ""]
        line.append(f"{first.period:<8}  {first.total:>8}")
        for row, width in zip(group, widths, strict=True):
            share = "–" if row.share is None else f"{row.share:.1%}"
            line.append(f"  {f'{row.articles:>6} {share:>6}':>{width}}")
        out.write("".join(line) + "\n")


def _columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` terminal columns."""
    return " " * max(0, width - _columns(text)) + text


def cmd_trends(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.charts import ChartError, save_chart, trend_spec
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.trends import trends

    if args.presets:
        try:
            print_presets(args.preset_file or [], sys.stdout)
        except QueryError as exc:
            print(f"pingan trends: {exc}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    if args.chart and Path(args.chart).suffix.lower() not in (".png", ".svg"):
        print(f"pingan trends: --chart {args.chart}: give a .png or .svg file", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.chart:
            output_path(args.chart, args.force)
    except ValueError as exc:
        print(f"pingan trends: --chart {exc}", file=sys.stderr)
        return EXIT_USAGE
    archive = open_archive(args, "trends")
    if archive is None:
        return EXIT_USAGE
    try:
        series = _series(args)
        if not series:
            raise QueryError("give at least one WORD or --preset NAME (pingan trends --presets)")
        result = trends(archive.db.conn, series, args.by, filters_of(args), args.per_site)
    except QueryError as exc:
        print(f"pingan trends: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    if not result.rows:
        print("pingan trends: no article with a publish time in this slice", file=sys.stderr)
        return EXIT_OK
    try:
        print_trends(result, args.format, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # `pingan trends … | head`
        silence_stdout()
        return EXIT_OK
    if result.undated:
        print(
            f"pingan trends: {result.undated} articles without a publish time are in no period "
            "(not counted)",
            file=sys.stderr,
        )
    if args.chart:
        try:
            rows = [r.to_dict(result.per_site) for r in result.rows]
            font = save_chart(trend_spec(rows, result.by, result.per_site), args.chart)
        except ChartError as exc:
            print(f"pingan trends: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if font is None:
            print(
                "pingan trends: no Chinese font found (apt-get install fonts-noto-cjk, or set "
                "PINGAN_CJK_FONT=/path/to/font): Chinese labels may show as boxes",
                file=sys.stderr,
            )
        print(f"chart → {args.chart}", file=sys.stderr)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.charts import ChartError, require_vl_convert
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.report import build_report

    try:
        require_vl_convert()
        output_path(args.output, args.force)
    except (ChartError, ValueError) as exc:
        print(f"pingan report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    archive = open_archive(args, "report")
    if archive is None:
        return EXIT_USAGE
    try:
        series = _series(args)
        html = build_report(
            archive.db.conn,
            filters_of(args),
            series or None,
            by=args.by,
            datasette=args.datasette_url,
            database=Path(args.db).stem,
            source=str(args.db),
        )
    except (QueryError, ChartError) as exc:
        print(f"pingan report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    try:
        Path(args.output).write_text(html, "utf-8")
    except OSError as exc:
        print(f"pingan report: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report → {args.output} ({len(html.encode()) / 1e6:.1f} MB, opens offline)")
    return EXIT_OK


def _add_topics(sub: argparse.ArgumentParser, words_flag: bool) -> None:
    if words_flag:
        sub.add_argument("--words", nargs="+", metavar="WORD", help="words to chart")
    else:
        sub.add_argument("words", nargs="*", metavar="WORD", help="words to count")
    sub.add_argument(
        "--preset",
        action="append",
        metavar="NAME",
        help="a topic (its words, any of them); repeatable; --presets lists them",
    )
    sub.add_argument(
        "--preset-file",
        action="append",
        metavar="FILE",
        help="your own presets (TOML, as pingan_crawler/analysis/presets/topics.toml)",
    )
    sub.add_argument(
        "--by",
        choices=("month", "week", "quarter", "year"),
        default="month",
        help="period (default month; weeks are ISO weeks, 2024-W19)",
    )


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
    trends = command(
        "trends",
        cmd_trends,
        "articles per period that mention each word (title or body), with the period's total",
    )
    _add_topics(trends, words_flag=False)
    trends.add_argument("--presets", action="store_true", help="list the presets and exit")
    trends.add_argument("--per-site", action="store_true", help="a row per site and period")
    add_filters(trends)
    trends.add_argument("--format", choices=("table", "csv", "json"), default="table")
    trends.add_argument(
        "--chart", metavar="FILE", help="also draw a line chart: FILE.png or FILE.svg"
    )
    trends.add_argument("--force", action="store_true", help="overwrite an existing chart file")

    report = command(
        "report", cmd_report, "one HTML page of charts and tables that opens with no network"
    )
    report.add_argument("-o", "--output", required=True, help="the page to write, e.g. r.html")
    report.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_filters(report)
    _add_topics(report, words_flag=True)
    report.add_argument(
        "--datasette-url",
        default="http://127.0.0.1:8001",
        help="where `pingan explore` serves, for the links to each query (default %(default)s)",
    )
