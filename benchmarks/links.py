"""Reading links off huge pages: time per page against page size, to show it is linear.

Pages of 1k, 10k, 100k and 200k links in two shapes: ``rows`` (``<li><a>…</a><span>date</span>``,
a list page) and ``flat`` (every ``<a>`` in one ``<div>``, where the old code read the whole
``<div>``'s text once per link). Each size is timed for:

* the linear baseline: lxml parsing the page and ``urljoin`` on each of its first
  ``MAX_LINKS_PER_PAGE`` links (the least any link reader does);
* ours: ``page_links`` (profiled sites), ``discover_list_page`` and ``discover_sections``
  (sites with no profile);
* the old code (``--old REV``, default the commit before the fix), loaded from git into a
  scratch package, up to ``--old-max`` links: it is quadratic, so 100k links would take minutes.

Times are CPU seconds of this process (per core, whatever else runs on the machine). Linear
means ours/baseline stays flat as pages grow, and µs per link read stays flat too.

``python -m benchmarks.links [--sizes 1000,10000,100000,200000] [--old 6596c6e] [--old-max 10000]``
"""

from __future__ import annotations

import argparse
import importlib
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

from benchmarks.harness import REPO
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.discover import discover_list_page, discover_sections
from pingan_crawler.parsing.html import parse_html
from pingan_crawler.parsing.listing import MAX_LINKS_PER_PAGE, page_links

URL = "http://www.example.gov.cn/xwzx/index.html"
BEFORE_THE_FIX = "6596c6e"  # the branch point of the hardening work: discover was quadratic
NAV = "".join(f'<li><a href="/lm{i}/index.html">栏目{i}</a></li>' for i in range(8))


def link_page(count: int, shape: str) -> bytes:
    """A list page with ``count`` article links (our own generated text)."""
    if shape == "rows":
        items = "".join(
            f'<li><a href="/xwzx/2024{i % 12 + 1:02d}/t20240{i % 9 + 1}01_{i}.html">'
            f"全市平安建设工作简报第{i}期</a><span>2024-0{i % 9 + 1}-01</span></li>"
            for i in range(count)
        )
        main = f'<div class="list"><ul>{items}</ul></div>'
    else:
        main = '<div class="list">' + "".join(
            f'<a href="/xwzx/t20240101_{i}.html">全市平安建设工作简报第{i}期</a> '
            for i in range(count)
        )
        main += "</div>"
    return (
        '<html><head><meta charset="utf-8"><title>新闻中心</title></head><body>'
        f'<div class="nav"><ul>{NAV}</ul></div>{main}'
        '<div class="page"><a href="index_1.html">下一页</a></div></body></html>'
    ).encode()


def baseline(body: bytes, url: str) -> None:
    root = parse_html(decode_html(body).text)
    for count, anchor in enumerate(root.iter("a")):
        if count >= MAX_LINKS_PER_PAGE:
            break
        urljoin(url, anchor.get("href", ""))
        anchor.text_content()


def cpu_seconds(function: Callable[[bytes, str], object], body: bytes) -> float:
    started = time.process_time()
    function(body, URL)
    return time.process_time() - started


def old_parsing(rev: str):
    """The parsing package as it was at ``rev``, importable as ``pingan_old_parsing``."""
    scratch = Path(tempfile.mkdtemp(prefix="pingan-old-"))
    package = scratch / "pingan_old_parsing"
    package.mkdir()
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:pingan_crawler/parsing"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:
        return None
    for name in listed.stdout.split():
        source = subprocess.run(
            ["git", "show", f"{rev}:pingan_crawler/parsing/{name}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (package / name).write_text(
            source.replace("pingan_crawler.parsing.", "pingan_old_parsing."), "utf-8"
        )
    sys.path.insert(0, str(scratch))
    return importlib.import_module("pingan_old_parsing.discover"), importlib.import_module(
        "pingan_old_parsing.listing"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,200000")
    parser.add_argument("--shapes", default="flat,rows")
    parser.add_argument("--old", default=BEFORE_THE_FIX, help="git revision of the old code")
    parser.add_argument("--old-max", type=int, default=10_000, help="largest page for old code")
    args = parser.parse_args()
    logging.getLogger("pingan_crawler.parsing.listing").setLevel(logging.ERROR)  # cap warnings
    sizes = [int(size) for size in args.sizes.split(",")]
    old = old_parsing(args.old) if args.old else None
    print(f"MAX_LINKS_PER_PAGE = {MAX_LINKS_PER_PAGE:,}; CPU seconds per page")
    print(
        "| shape | links | baseline (parse + urljoin) | page_links | discover_list_page "
        "| discover_sections | ours/baseline (list page) | µs per link read "
        f"| old page_links ({args.old}) | old discover_list_page |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        for size in sizes:
            body = link_page(size, shape)
            base = cpu_seconds(baseline, body)
            ours = [
                cpu_seconds(f, body) for f in (page_links, discover_list_page, discover_sections)
            ]
            read = min(size, MAX_LINKS_PER_PAGE)
            olds = ["–", "–"]
            if old and size <= args.old_max:
                old_discover, old_listing = old
                olds = [
                    f"{cpu_seconds(old_listing.page_links, body):.3f} s",
                    f"{cpu_seconds(old_discover.discover_list_page, body):.3f} s",
                ]
            print(
                f"| {shape} | {size:,} | {base:.3f} s | {ours[0]:.3f} s | {ours[1]:.3f} s "
                f"| {ours[2]:.3f} s | {ours[1] / base:.2f}× | {ours[1] / read * 1e6:.0f} "
                f"| {olds[0]} | {olds[1]} |",
                flush=True,
            )
    print(
        "\nIssue 14 measured the old discovery at 5.2 s for 10k links, 18.3 s for 20k and "
        "12 min for 200k."
    )


if __name__ == "__main__":
    main()
