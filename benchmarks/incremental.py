"""Requests of a second crawl over an unchanged site / requests of the first (goal ≤ 2%).

``python -m benchmarks.incremental [-n 10000]``: generates the site, serves it on 127.0.0.1,
crawls it twice into a fresh archive with `pingan crawl` and prints both runs side by side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Row
from benchmarks.sitegen import generate
from pingan_crawler.fixtureserver import FixtureServer


def crawl(db: Path, server: FixtureServer) -> tuple[int, float, str]:
    server.requests.clear()
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pingan_crawler.cli",
            "crawl",
            "pasxw",
            "--db",
            str(db),
            "--base-url",
            server.base_url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    return len(server.requests), time.monotonic() - started, result.stdout.strip()


def incremental_rows(first_requests: int, second_requests: int) -> list[Row]:
    ratio = second_requests / first_requests
    return [
        Row(
            "incremental",
            "requests of a 2nd run over the unchanged site",
            second_requests,
            first_requests,
            "1st run into an empty archive",
            ratio,
            "≤ 2 %",
            ratio <= 0.02,
            "requests",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        started = time.monotonic()
        generate(tmp_path / "site", args.count)
        print(
            f"generated {args.count} articles in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
        with FixtureServer(tmp_path / "site") as server:
            first, first_s, first_summary = crawl(tmp_path / "a.db", server)
            second, second_s, second_summary = crawl(tmp_path / "a.db", server)
    print(
        f"| run | requests | seconds | summary |\n|---|---|---|---|\n"
        f"| 1 (empty archive) | {first} | {first_s:.1f} | {first_summary} |\n"
        f"| 2 (unchanged site) | {second} | {second_s:.1f} | {second_summary} |"
    )
    print(f"\nsecond/first requests: {second / first:.4%} (goal ≤ 2%)")


if __name__ == "__main__":
    main()
