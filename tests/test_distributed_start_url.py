"""Distributed crawling of a site with no profile: ``--redis`` with ``--start-url``.

The first worker leaves its start URLs in Redis; a second one, named only by the site's host,
builds the same generic profile from them; one writer stores every article once.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, PINGAN, expected_articles, query
from test_distributed import ingest, redis, redis_url  # noqa: F401 (the fixture)

from pingan_crawler.fixtureserver import FixtureServer

ROOT = Path(__file__).parent.parent
DEDECMS = FIXTURES / "dedecms"


def worker(url: str, workdir: Path, *site: str) -> subprocess.Popen:
    workdir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [*PINGAN, "crawl", *site, "--redis", url, "--max-idle", "2", "--db", str(workdir / "x.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_workers_share_the_start_urls_of_a_site_with_no_profile(redis_url, tmp_path):  # noqa: F811
    client = redis.Redis.from_url(redis_url)
    db = tmp_path / "archive.db"
    # Slow enough that the second worker, however loaded the machine, joins before the end.
    with FixtureServer(DEDECMS, delay=1.0) as server:
        host = server.base_url.removeprefix("http://")
        first = worker(redis_url, tmp_path / "w1", "--start-url", server.base_url + "/")
        deadline = time.monotonic() + 60
        while not client.exists(f"pingan:{host}:start_urls") and time.monotonic() < deadline:
            time.sleep(0.05)
        second = worker(redis_url, tmp_path / "w2", host)  # no --start-url: taken from Redis
        outputs = [w.communicate(timeout=180) for w in (first, second)]
        fetched = Counter(path for _m, path in server.requests if path != "/robots.txt")
    for process, (out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
        assert out.startswith(f"{host}: worker ")
        assert " 0 pages fetched" not in out  # both took requests from the shared frontier
    assert not [path for path, n in fetched.items() if n > 1]  # no page fetched twice
    drained = ingest(redis_url, db, "--max-idle", "1")
    assert drained.returncode == 0, drained.stderr[-2000:]
    expected = {server.base_url + e["path"] for e in expected_articles(DEDECMS)}
    assert {url for (url,) in query(db, "SELECT url FROM articles")} == expected
    assert {site for (site,) in query(db, "SELECT DISTINCT site FROM crawls")} == {host}


def test_a_worker_named_by_an_unknown_host_says_how_to_start_the_run(redis_url, tmp_path):  # noqa: F811
    result = subprocess.run(
        [*PINGAN, "crawl", "127.0.0.1:9", "--redis", redis_url, "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "no distributed run of 127.0.0.1:9 left its start URLs" in result.stderr
    assert "--start-url" in result.stderr
