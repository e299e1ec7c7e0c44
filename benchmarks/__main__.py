"""Run every benchmark on a generated site and write BENCHMARKS.md.

``python -m benchmarks [-n 10000] [--small 1000] [--out BENCHMARKS.md]``: generates a pasxw-style
site of N articles (and a small one for memory growth), crawls it with the full pipeline and with
a bare Scrapy spider, crawls it again (incremental), then measures storage, parsing and reparse on
what the crawl stored. Every figure is printed beside the baseline it is compared with.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.crawl import crawl_rows, full_crawl, measure
from benchmarks.harness import REPO, progress
from benchmarks.incremental import incremental_rows
from benchmarks.memory import memory_rows
from benchmarks.parse import parse_rows
from benchmarks.reparse import reparse_rows
from benchmarks.report import table
from benchmarks.sitegen import generate
from benchmarks.storage import storage_rows
from pingan_crawler.fixtureserver import FixtureServer


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    import os

    import scrapy

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = (
        " (with uncommitted changes)"
        if git("status", "--porcelain", "--untracked-files=no")
        else ""
    )
    return (git("rev-parse", "--short", "HEAD") or "unknown") + dirty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=10_000, help="articles of the site")
    parser.add_argument("--small", type=int, default=1_000, help="articles of the small site")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        progress(f"generating sites of {args.count:,} and {args.small:,} articles …")
        generate(work / "large", args.count)
        generate(work / "small", args.small, seed=8)
        db = work / "large.db"
        full, bare, served = measure(work / "large", work, db)
        progress("incremental: a second run over the unchanged site …")
        with FixtureServer(work / "large") as server:
            second = full_crawl(server, db)
        progress(f"memory: a crawl of {args.small:,} articles …")
        with FixtureServer(work / "small") as server:
            small = full_crawl(server, work / "small.db")
        rows = [
            *crawl_rows(full, bare, served),
            *parse_rows(work / "large"),
            *incremental_rows(full.pages, second.pages),
            *storage_rows(db),
            *memory_rows(full, bare, small, args.small, args.count),
            *reparse_rows(db),
        ]
    elapsed = time.monotonic() - started
    result = table(rows)
    print(result)
    args.out.write_text(
        "# Benchmarks\n\n"
        f"Written by `python -m benchmarks -n {args.count}` on {datetime.now():%Y-%m-%d %H:%M} "
        f"in {elapsed / 60:.1f} minutes.\n\n"
        f"- Machine: {machine()}\n- Commit: {commit()}\n\n"
        f"{result}\n\n"
        "Each figure is measured beside its baseline in the same invocation; the ratio is ours / "
        "baseline. Crawls run with politeness off (no delay, no AutoThrottle, no robots.txt) and "
        "16 concurrent requests against the generated site on 127.0.0.1. Parse figures are CPU "
        "time of one process, so per core.\n" + hand_run(args.out),
        "utf-8",
    )
    progress(f"wrote {args.out} ({elapsed / 60:.1f} min)")


HAND_RUN = "<!-- hand-run:"


def hand_run(out: Path) -> str:
    """Figures of single benchmark scripts, kept below their marker when the table is rewritten."""
    old = out.read_text("utf-8") if out.exists() else ""
    at = old.find(HAND_RUN)
    return "" if at < 0 else "\n" + old[at:]


if __name__ == "__main__":
    main()
