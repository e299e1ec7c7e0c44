"""Crawl throughput: the full pipeline against a bare Scrapy spider fetching the same pages.

Both run with politeness off (no delay, no AutoThrottle, robots.txt not fetched) and the same
concurrency against the same local server, one after the other in this invocation. The server is
measured alone first, so we know it is not what limits either crawl.

``python -m benchmarks.crawl [-n 10000]`` prints the table; ``python -m benchmarks`` runs it with
the others.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import REPO, Row, Run, progress, run_child
from benchmarks.sitegen import generate
from pingan_crawler.fixtureserver import FixtureServer

CONCURRENCY = 16
UNPOLITE = {
    "CONCURRENT_REQUESTS": CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": 0,
    "ROBOTSTXT_OBEY": 0,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": 0,
}


def _settings_args(settings: dict) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


@dataclass(frozen=True)
class CrawlResult:
    run: Run
    pages: int  # requests the server answered


def full_crawl(server: FixtureServer, db: Path, extra_args: list[str] | None = None) -> CrawlResult:
    """`scrapy crawl pingan` over the served site into ``db``, from the project directory."""
    server.requests.clear()
    run = run_child(
        [
            "-m",
            "scrapy",
            "crawl",
            "pingan",
            "-a",
            "site=pasxw",
            "-a",
            f"base_url={server.base_url}",
            *(extra_args or []),
            *_settings_args({**UNPOLITE, "PINGAN_DB": str(db), "PINGAN_PROGRESS_INTERVAL": 0}),
        ]
    )
    return CrawlResult(run, len(server.requests))


def bare_crawl(server: FixtureServer, url_file: Path, workdir: Path) -> CrawlResult:
    """The baseline spider over the same URLs, run where no scrapy.cfg is found."""
    server.requests.clear()
    run = run_child(
        [
            "-m",
            "scrapy",
            "runspider",
            str(REPO / "benchmarks" / "barespider.py"),
            "-a",
            f"urls={url_file}",
            *_settings_args(UNPOLITE),
        ],
        cwd=workdir,
    )
    return CrawlResult(run, len(server.requests))


def server_alone(url_file: Path) -> tuple[int, float]:
    """Pages and seconds for a threaded client in another process fetching every URL."""
    run = run_child(["-m", "benchmarks.loadclient", str(url_file), "--threads", str(CONCURRENCY)])
    pages, _size, seconds = run.stdout.split()
    return int(pages), float(seconds)


def crawl_rows(full: CrawlResult, bare: CrawlResult, served: tuple[int, float]) -> list[Row]:
    """Rows for the server alone and the full pipeline against the bare spider."""
    server_rate = served[0] / served[1]
    full_rate = full.pages / full.run.seconds
    bare_rate = bare.pages / bare.run.seconds
    return [
        Row("crawl", "server alone (16 threads)", server_rate, None, "", None, "", None, "pages/s"),
        Row(
            "crawl",
            f"full pipeline, {full.pages} pages",
            full_rate,
            bare_rate,
            "bare Scrapy spider",
            full_rate / bare_rate,
            "≥ 0.8×",
            full_rate / bare_rate >= 0.8,
            "pages/s",
        ),
    ]


def measure(site_dir: Path, workdir: Path, db: Path) -> tuple[CrawlResult, CrawlResult, tuple]:
    """Serve ``site_dir``; the full crawl into ``db``, the server alone, then the bare spider."""
    with FixtureServer(site_dir) as server:
        progress(f"crawl: full pipeline over {site_dir} …")
        full = full_crawl(server, db)
        # The server's log of the full run is the exact page set the baseline must fetch.
        url_file = workdir / "urls.txt"
        url_file.write_text(
            "\n".join(server.base_url + path for _method, path in server.requests), "utf-8"
        )
        progress("crawl: the server alone …")
        served = server_alone(url_file)
        progress("crawl: bare spider …")
        bare = bare_crawl(server, url_file, workdir)
    return full, bare, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate(work / "site", args.count)
        rows = crawl_rows(*measure(work / "site", work, work / "bench.db"))
    from benchmarks.report import table

    print(table(rows))


if __name__ == "__main__":
    main()
