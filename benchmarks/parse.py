"""Parse speed: pages/s on one core of our extractors against trafilatura and GNE, same pages.

Everything runs in this one process, one page at a time, so pages/s is per core. trafilatura and
GNE come with the optional ``bench`` extra; without them their rows say so.

``python -m benchmarks.parse SITE_DIR [--pages 1000]`` (a site made by ``benchmarks.sitegen``).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Row, progress
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.sites import load_profile

PUBLIC = "http://pasxw.com"


def article_pages(site_dir: Path, limit: int) -> list[tuple[str, bytes]]:
    routes = json.loads((site_dir / "routes.json").read_text("utf-8"))["routes"]
    return [
        (PUBLIC + path, (site_dir / route["file"]).read_bytes())
        for path, route in routes.items()
        if path.startswith("/index.asp?bh=")
    ][:limit]


def pages_per_second(
    pages: list[tuple[str, bytes]], parse: Callable[[str, bytes], object]
) -> float:
    for url, body in pages[:20]:  # warm caches and imports outside the timing
        parse(url, body)
    started = time.process_time()  # CPU time of this process: per core, whatever else runs
    for url, body in pages:
        parse(url, body)
    return len(pages) / (time.process_time() - started)


def _competitors() -> dict[str, Callable[[str, bytes], object] | str]:
    found: dict[str, Callable[[str, bytes], object] | str] = {}
    try:
        import trafilatura

        found["trafilatura"] = lambda url, body: trafilatura.bare_extraction(
            body, url=url, with_metadata=True
        )
    except ImportError as exc:
        found["trafilatura"] = f"cannot import ({exc}); pip install -e '.[bench]'"
    try:
        from gne import GeneralNewsExtractor

        extractor = GeneralNewsExtractor()
        found["GNE"] = lambda url, body: extractor.extract(decode_html(body, "text/html").text)
    except ImportError as exc:
        found["GNE"] = f"cannot import ({exc}); pip install -e '.[bench]'"
    return found


def parse_rows(site_dir: Path, limit: int = 1000) -> list[Row]:
    pages = article_pages(site_dir, limit)
    # Whatever this process made before (a generated site, crawl results) must not be walked
    # by the garbage collector inside the timings (measured: 954 → 1,110 pages/s on 10k).
    gc.collect()
    gc.freeze()
    profile = load_profile("pasxw")
    progress(f"parse: {len(pages)} pages with the profile …")
    ours = pages_per_second(pages, lambda url, body: extract_article(body, url, profile))
    progress("parse: generic extractor …")
    generic = pages_per_second(pages, lambda url, body: extract_article(body, url, None))
    rows = [
        Row(
            "parse",
            "profile extractor",
            ours,
            None,
            "",
            None,
            "≥ 1,000 pages/s/core",
            ours >= 1000,
            "pages/s",
        ),
        Row(
            "parse", "generic extractor (no profile)", generic, None, "", None, "", None, "pages/s"
        ),
    ]
    for name, parse in _competitors().items():
        if isinstance(parse, str):
            rows.append(Row("parse", f"{name}: {parse}", float("nan"), None, "", None, "", None))
            continue
        progress(f"parse: {name} …")
        theirs = pages_per_second(pages, parse)
        goal, met = ("≥ 10×", ours / theirs >= 10) if name == "trafilatura" else ("", None)
        rows.append(
            Row(
                "parse",
                f"profile extractor vs {name}",
                ours,
                theirs,
                name,
                ours / theirs,
                goal,
                met,
                "pages/s",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    from benchmarks.report import table

    print(table(parse_rows(args.site_dir, args.pages)))


if __name__ == "__main__":
    main()
