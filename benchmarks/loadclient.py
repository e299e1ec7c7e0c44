"""Fetch a list of URLs with N threads as fast as a server answers: the server's own ceiling.

``python -m benchmarks.loadclient URL_FILE [--threads 16]`` prints ``pages bytes seconds``. It runs
in its own process so it does not share the server's interpreter lock.
"""

from __future__ import annotations

import argparse
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url_file", type=Path)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    urls = args.url_file.read_text("utf-8").split()
    started = time.monotonic()
    with ThreadPoolExecutor(args.threads) as pool:
        total = sum(pool.map(fetch, urls))
    print(len(urls), total, f"{time.monotonic() - started:.3f}")


if __name__ == "__main__":
    main()
