"""Distributed crawling: workers on a shared Redis frontier, one ingest writer, real processes.

Each test starts its own redis-server on a free 127.0.0.1 port (CI installs the Debian
package; without it these tests skip and say so).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from conftest import PASXW, PINGAN, expected_articles, page_bytes, query

from pingan_crawler.fixtureserver import FixtureServer

redis = pytest.importorskip("redis", reason="needs the [distributed] extra (redis client)")

ALL = len(expected_articles()) - 1  # one repost merges into its original
ROOT = Path(__file__).parent.parent
# Short heartbeats make a killed worker's requests come back within seconds; tests that need
# no kill keep the default, so a worker slowed down by a busy machine is never taken for dead.
FAST_HEARTBEAT = {**os.environ, "PINGAN_REDIS_HEARTBEAT": "2"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server; CI does)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    proc.terminate()
    proc.wait(timeout=10)


def start_worker(
    url: str, server: FixtureServer, workdir: Path, env: dict | None = None
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *PINGAN,
            "crawl",
            "pasxw",
            "--redis",
            url,
            "--base-url",
            server.base_url,
            "--max-idle",
            "2",
            "--db",
            str(workdir / "unused.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def ingest(url: str, db: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PINGAN, "ingest", "--redis", url, "--db", str(db), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def shared_state_is_clean(client) -> None:
    assert client.llen("pingan:items") == 0
    assert client.llen("pingan:items:processing") == 0
    assert client.zcard("pingan:pasxw:requests") == 0
    assert client.keys("pingan:pasxw:inflight:*") == []
    assert not client.exists("pingan:pasxw:run")  # the next run seeds again


@pytest.mark.slow
def test_two_workers_and_one_writer_store_every_article_once(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    db = tmp_path / "archive.db"
    with FixtureServer(PASXW, delay=0.3) as server:
        workers = [start_worker(redis_url, server, tmp_path / f"w{n}") for n in (1, 2)]
        writer = subprocess.Popen(
            [*PINGAN, "ingest", "--redis", redis_url, "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        outputs = [w.communicate(timeout=180) for w in workers]
        writer.send_signal(signal.SIGTERM)  # stopped mid-stream: the rest waits in Redis
        _writer_out, writer_err = writer.communicate(timeout=60)
        fetched = Counter(path for _m, path in server.requests if path != "/robots.txt")
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
        assert "Deprecat" not in err
    lines = [out.strip() for out, _err in outputs]
    assert sorted("seeded the run" in line for line in lines) == [False, True], lines
    assert all(" 0 pages fetched" not in line for line in lines), lines  # both did work
    assert writer.returncode == 5, writer_err[-2000:]
    assert not [path for path, n in fetched.items() if n > 1]  # no request fetched twice

    drained = ingest(redis_url, db, "--max-idle", "1")
    assert drained.returncode == 0, drained.stderr[-2000:]
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ALL, ALL)]
    assert query(db, "SELECT count(*) FROM article_urls") == [(ALL + 1,)]
    assert len([p for p in fetched if p.startswith("/index.asp")]) == ALL + 1
    crawls = query(db, "SELECT worker, finish_reason, pages, articles_new FROM crawls ORDER BY id")
    assert len(crawls) == 2 and all(
        worker and reason == "finished" for worker, reason, *_ in crawls
    )
    assert sum(pages for *_, pages, _new in crawls) == sum(fetched.values()) + 2  # + robots.txt
    assert sum(new for *_, new in crawls) == ALL
    shared_state_is_clean(client)

    # The next run: list pages again (the persistent dupefilter does not drop them), known
    # articles skipped through the writer's mirror in Redis.
    with FixtureServer(PASXW) as server:
        again = start_worker(redis_url, server, tmp_path / "w3")
        _out, err = again.communicate(timeout=120)
        refetched = sorted(p for _m, p in server.requests if p != "/robots.txt")
    assert again.returncode == 0, err[-2000:]
    assert refetched == sorted(f"/list.asp?lb={n}" for n in range(1, 9))


@pytest.mark.slow
def test_a_worker_killed_mid_crawl_loses_nothing(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    db = tmp_path / "archive.db"
    with FixtureServer(PASXW, delay=0.3) as server:
        victim, survivor = (
            start_worker(redis_url, server, tmp_path / f"w{n}", FAST_HEARTBEAT) for n in (1, 2)
        )
        deadline = time.monotonic() + 60
        while len(client.keys("pingan:pasxw:inflight:*")) < 2 or len(server.requests) < 25:
            assert time.monotonic() < deadline, "the workers never both got going"
            time.sleep(0.05)
        victim.kill()  # SIGKILL: its in-flight requests stay in its in-flight hash
        victim.communicate(timeout=30)
        _out, err = survivor.communicate(timeout=180)
    assert survivor.returncode == 0, err[-2000:]
    drained = ingest(redis_url, db, "--max-idle", "1")
    assert drained.returncode == 0, drained.stderr[-2000:]
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ALL, ALL)]
    assert query(db, "SELECT count(*) FROM article_urls") == [(ALL + 1,)]
    rows = query(db, "SELECT finish_reason, stats FROM crawls ORDER BY finished_at IS NULL")
    assert [reason for reason, _stats in rows] == ["finished", None]  # the victim never ended
    assert '"redis/requeued_from_dead_workers"' in rows[0][1]
    shared_state_is_clean(client)


@pytest.mark.slow
def test_a_killed_writer_replays_nothing_twice(redis_url, tmp_path, demo_db):
    from pingan_crawler.distributed import ITEMS_KEY, PROCESSING_KEY
    from pingan_crawler.distributed.ingest import Ingest
    from pingan_crawler.storage import Archive

    client = redis.Redis.from_url(redis_url)
    with FixtureServer(PASXW) as server:
        _out, err = start_worker(redis_url, server, tmp_path / "w").communicate(timeout=120)
    queued = client.llen(ITEMS_KEY)
    assert queued > ALL, err[-2000:]
    db = tmp_path / "archive.db"
    # A writer SIGKILLed at a random point of its drain.
    proc = subprocess.Popen(
        [*PINGAN, "ingest", "--redis", redis_url, "--db", str(db)], cwd=ROOT, text=True
    )
    while client.llen(ITEMS_KEY) > queued - 30:
        time.sleep(0.01)
    proc.kill()
    proc.wait(timeout=30)
    client.delete("pingan:ingest:lock")

    # Then a writer that commits three messages and dies before acknowledging them.
    dying = Ingest(redis_url, db)
    dying.archive = Archive(db)
    for _ in range(3):
        dying.handle(client.lmove(ITEMS_KEY, PROCESSING_KEY, "LEFT", "RIGHT"))
    dying.archive.close()
    client.delete("pingan:ingest:lock")  # its lock would expire; no need to wait
    assert client.llen(PROCESSING_KEY) >= 3

    report = Ingest(redis_url, db).run(max_idle=1)
    assert report.requeued >= 3 and report.replays >= 3
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ALL, ALL)]
    # Nothing stored twice: as many view-count readings and snapshots as one local crawl.
    for table in ("view_counts", "snapshots", "listings", "errors"):
        sql = f"SELECT count(*) FROM {table}"
        assert query(db, sql) == query(demo_db, sql), table
    assert query(db, "SELECT max(fetch_count) FROM snapshots") == [(1,)]
    assert query(db, "SELECT count(*) FROM crawls") == [(1,)]
    assert client.llen(PROCESSING_KEY) == 0


def test_a_second_writer_on_the_same_redis_exits_4(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    client.set("pingan:ingest:lock", "otherhost-4242")
    result = ingest(redis_url, tmp_path / "a.db", "--max-idle", "1")
    assert result.returncode == 4
    assert "otherhost-4242" in result.stderr


@pytest.mark.slow
def test_scrapy_crawl_with_redis_url_writes_no_archive(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    db = tmp_path / "never.db"
    with FixtureServer(PASXW) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "pingan",
                "-a",
                "site=pasxw",
                "-a",
                f"base_url={server.base_url}",
                "-a",
                "max_pages=1",
                "-s",
                f"REDIS_URL={redis_url}",
                "-s",
                f"PINGAN_DB={db}",
                "-s",
                "MAX_IDLE_TIME_BEFORE_CLOSE=1",
                "-s",
                "DOWNLOAD_DELAY=0",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RedisFrontier" in result.stderr  # the add-on switched the scheduler
    assert "Deprecat" not in result.stderr
    assert not db.exists()
    kinds = Counter(
        __import__("json").loads(raw)["kind"] for raw in client.lrange("pingan:items", 0, -1)
    )
    assert kinds["start"] == kinds["finish"] == 1 and kinds["item"] > 8


def test_items_cross_the_wire_unchanged():
    from pingan_crawler.distributed.codec import Message, MessageError
    from pingan_crawler.items import ArticlePage, PageError, Snapshot
    from pingan_crawler.parsing.article import extract_article
    from pingan_crawler.parsing.dates import SHANGHAI
    from pingan_crawler.sites import load_profile

    body, content_type = page_bytes("/index.asp?bh=2020128154217922")
    url = "http://pasxw.com/index.asp?bh=2020128154217922"
    article = extract_article(body, url, load_profile("pasxw"), content_type)
    snapshot = Snapshot(
        url, 200, {"Content-Type": [content_type]}, body, datetime.now(SHANGHAI), url, "gb18030"
    )
    items = [
        ArticlePage("pasxw", "平安资讯", snapshot, article),
        PageError("pasxw", url, "http_status", "HTTP 500", 500, snapshot, ("a", "b")),
    ]
    for item in items:
        message = Message("item", "host-1-abc", "pasxw", item)
        again = Message.loads(message.dumps())
        assert again == message
        assert again.body.snapshot.body == body  # the GBK bytes, byte for byte
    with pytest.raises(MessageError, match="unknown item type 'Evil'"):
        Message.loads(b'{"id":"1","kind":"item","worker":"w","site":"s","body":{"$type":"Evil"}}')
    with pytest.raises(MessageError, match="not a pingan message"):
        Message.loads(b"\x80garbage")


@pytest.mark.slow
def test_unreachable_redis_is_named_with_what_to_do(tmp_path):
    port = _free_port()  # nothing listens there
    url = f"redis://127.0.0.1:{port}/0"
    for args in (["crawl", "pasxw", "--redis", url], ["ingest", "--redis", url]):
        result = subprocess.run(
            [*PINGAN, *args, "--db", str(tmp_path / "a.db")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert result.returncode == 1
        assert f"cannot use Redis at {url}" in result.stderr
        assert "redis-server running" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_writer_rebuilds_the_mirror_workers_read_from_the_archive(redis_url, demo_db_copy):
    from pingan_crawler.distributed.ingest import Ingest

    client = redis.Redis.from_url(redis_url)
    client.sadd("pingan:pasxw:known", "http://pasxw.com/index.asp?bh=stale")  # lost archive row
    report = Ingest(redis_url, demo_db_copy).run(max_idle=0.5)
    assert report.messages == 0
    known = {m.decode() for m in client.smembers("pingan:pasxw:known")}
    assert known == {url for (url,) in query(demo_db_copy, "SELECT url FROM article_urls")}
    walked = {m.decode() for m in client.smembers("pingan:pasxw:walked")}
    assert walked == {name for (name,) in query(demo_db_copy, "SELECT section FROM section_walks")}
    assert len(walked) == 8


@pytest.mark.slow
def test_a_failed_article_is_fetched_again_by_the_next_run(redis_url, tmp_path):
    path = "/index.asp?bh=2020723152951706"
    site = tmp_path / "site"
    shutil.copytree(PASXW, site)
    manifest = json.loads((site / "routes.json").read_text("utf-8"))
    route = manifest["routes"][path]
    manifest["routes"][path] = {**route, "status": 500}
    (site / "routes.json").write_text(json.dumps(manifest), "utf-8")
    db = tmp_path / "archive.db"
    with FixtureServer(site) as server:
        first, _ = start_worker(redis_url, server, tmp_path / "w1").communicate(timeout=120)
        assert ingest(redis_url, db, "--max-idle", "0.5").returncode == 0
        assert query(db, "SELECT count(*) FROM articles") == [(ALL - 1,)]
        assert query(db, "SELECT kind, http_status FROM errors") == [("http_status", 500)]
        server.add_route(path, route["file"], route["headers"])  # the site recovered
        server.requests.clear()
        second, _ = start_worker(redis_url, server, tmp_path / "w2").communicate(timeout=120)
        fetched = sorted(p for _m, p in server.requests if p != "/robots.txt")
    assert "1 errors queued" in first
    assert fetched == sorted([path, *(f"/list.asp?lb={n}" for n in range(1, 9))]), second
    assert ingest(redis_url, db, "--max-idle", "0.5").returncode == 0
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(ALL, ALL)]
    assert not redis.Redis.from_url(redis_url).hlen("pingan:pasxw:pending")


@pytest.mark.slow
def test_a_challenge_seen_by_a_worker_reaches_the_archive_through_the_writer(redis_url, tmp_path):
    """BlockDetection records its error through the worker's sink: Redis, never SQLite."""
    hostile = ROOT / "tests" / "fixtures" / "hostile"
    ruishu = json.loads((hostile / "routes.json").read_text("utf-8"))["routes"]["/challenge/ruishu"]
    worker_db = tmp_path / "unused.db"
    with FixtureServer(PASXW) as server:
        server.add_route(
            "/list.asp?lb=1", str(hostile / ruishu["file"]), ruishu["headers"], ruishu["status"]
        )
        worker = start_worker(redis_url, server, tmp_path)
        out, err = worker.communicate(timeout=120)
    assert worker.returncode == 3, err[-3000:]  # blocked
    assert "blocked" in out.lower()
    assert not worker_db.exists()  # the worker never opened SQLite, not even for the block
    db = tmp_path / "archive.db"
    result = ingest(redis_url, db, "--max-idle", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = query(db, "SELECT url, kind, http_status, snapshot_id IS NOT NULL FROM errors")
    assert ("http://pasxw.com/list.asp?lb=1", "blocked:ruishu", 412, 1) in rows
