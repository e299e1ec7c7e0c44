"""Crawl throughput with 1 vs 2 local distributed workers against the generated site.

``python -m benchmarks.distributed [-n 3000] [--delay 0]``: generates a pasxw-style site,
serves it on 127.0.0.1, starts a private redis-server, then crawls the site once with one
worker and once (on a fresh Redis) with two, each followed by one ``pingan ingest`` into a
fresh archive. Prints both runs side by side with the ratio. ``--delay`` makes the server
answer slower (seconds per response), as a real site does: then a crawl waits on the network,
not the CPU.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.sitegen import generate
from pingan_crawler.fixtureserver import FixtureServer

PINGAN = [sys.executable, "-m", "pingan_crawler.cli"]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: apt-get install -y redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        cwd=workdir,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def run(workers: int, server: FixtureServer, tmp: Path) -> dict:
    redis_proc, url = start_redis(tmp)
    try:
        server.requests.clear()
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [
                    *PINGAN,
                    "crawl",
                    "pasxw",
                    "--redis",
                    url,
                    "--base-url",
                    server.base_url,
                    "--max-idle",
                    "1",
                    "--db",
                    str(tmp / f"w{workers}-{n}" / "unused.db"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(workers)
        ]
        outputs = [p.communicate() for p in procs]
        crawl_s = time.monotonic() - started
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            if proc.returncode != 0:
                raise SystemExit(f"worker failed ({proc.returncode}): {err[-2000:]}")
        requests = len(server.requests)
        started = time.monotonic()
        db = tmp / f"archive-{workers}.db"
        ingest = subprocess.run(
            [*PINGAN, "ingest", "--redis", url, "--db", str(db), "--max-idle", "0.5"],
            capture_output=True,
            text=True,
            check=False,
        )
        ingest_s = time.monotonic() - started
        if ingest.returncode != 0:
            raise SystemExit(f"ingest failed ({ingest.returncode}): {ingest.stderr[-2000:]}")
    finally:
        redis_proc.terminate()
        redis_proc.wait()
    return {
        "requests": requests,
        "crawl_s": crawl_s,
        "ingest_s": ingest_s,
        "ingest": ingest.stdout.strip(),
        "workers": [out.strip() for out, _err in outputs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=3000)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per response")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        generate(tmp_path / "site", args.count)
        with FixtureServer(tmp_path / "site", delay=args.delay) as server:
            one = run(1, server, tmp_path)
            two = run(2, server, tmp_path)
    rate1 = one["requests"] / one["crawl_s"]
    rate2 = two["requests"] / two["crawl_s"]
    print(f"{args.count} articles, server delay {args.delay} s per response\n")
    print("| | 1 worker | 2 workers | ratio 2/1 |\n|---|---|---|---|")
    print(f"| requests | {one['requests']} | {two['requests']} | |")
    print(f"| crawl seconds | {one['crawl_s']:.1f} | {two['crawl_s']:.1f} | |")
    print(f"| pages/s | {rate1:.1f} | {rate2:.1f} | {rate2 / rate1:.2f} |")
    print(f"| ingest seconds (one writer) | {one['ingest_s']:.1f} | {two['ingest_s']:.1f} | |")
    for label, result in (("1 worker", one), ("2 workers", two)):
        print(f"\n{label}:")
        for line in [*result["workers"], result["ingest"]]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
