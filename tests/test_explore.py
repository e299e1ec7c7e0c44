"""`pingan explore`: Datasette over the archive, read-only, searchable, with canned queries."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import PINGAN, query

from pingan_crawler.analysis.explore import checkpoint, make_datasette

SEED_URL = "http://pasxw.com/index.asp?bh=2020128154217922"
SEED_TITLE = "平安路上砥砺行 江西连续十六年获评全国综治优秀省"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def archive_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo archive (Datasette opens it immutable; WAL checkpointed first)."""
    copy = tmp_path_factory.mktemp("explore") / "pingan.db"
    shutil.copy(demo_db, copy)
    for suffix in ("-wal", "-shm"):
        if Path(f"{demo_db}{suffix}").exists():
            shutil.copy(f"{demo_db}{suffix}", f"{copy}{suffix}")
    checkpoint(copy)
    return copy


@pytest.fixture(scope="module")
def get(archive_db):
    """GET a path with Datasette's own test client; returns the response."""
    ds = make_datasette(archive_db)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    yield lambda path: loop.run_until_complete(ds.client.get(path))
    loop.close()


def rows(get, path: str) -> list[dict]:
    response = get(path)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def containing(db, text: str) -> set[int]:
    return {
        i
        for i, title, body in query(db, "SELECT id, title, body FROM articles")
        if text in title or text in body
    }


def test_search_box_uses_the_trigram_index(get, archive_db):
    found = rows(get, f"/pingan/articles.json?_search={quote('扫黑除恶')}&_shape=array&_size=max")
    assert {r["id"] for r in found} == containing(archive_db, "扫黑除恶")
    assert any("扫黑除恶" in r["title"] for r in found)


def test_canned_short_query_finds_two_character_words(get, archive_db):
    assert rows(get, f"/pingan/articles.json?_search={quote('扫黑')}&_shape=array") == []
    found = rows(get, f"/pingan/search_short.json?q={quote('扫黑')}&_shape=array")
    assert {r["id"] for r in found} == containing(archive_db, "扫黑")
    assert "扫黑" in found[0]["title"]


def test_canned_queries_answer_their_questions(get, archive_db):
    per_month = rows(get, "/pingan/articles_per_month_per_site.json?_shape=array")
    assert sum(r["articles"] for r in per_month) == 67
    top = rows(get, "/pingan/top_viewed.json?_shape=array")
    assert [r["view_count"] for r in top] == sorted((r["view_count"] for r in top), reverse=True)
    history = rows(get, f"/pingan/view_history.json?url={quote(SEED_URL)}&_shape=array")
    readings = query(
        archive_db,
        "SELECT count(*) FROM view_counts v JOIN article_urls u ON u.article_id = v.article_id "
        "WHERE u.url = ?",
        [SEED_URL],
    )[0][0]
    assert len(history) == readings >= 1


def test_metadata_titles_and_column_descriptions_show(get):
    page = get("/pingan/articles")
    assert page.status_code == 200
    assert "publish time, ISO 8601 in Asia/Shanghai" in page.text
    assert "search_short" in get("/pingan").text
    databases = get("/-/databases.json").json()
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("pingan", False)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def explore_server(archive_db):
    """`pingan explore` itself, on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [*PINGAN, "explore", "--db", str(archive_db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"pingan explore did not start: {proc.communicate()[1][-2000:]!r}")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.communicate(timeout=30)


def test_explore_command_serves_the_archive(explore_server):
    url = f"{explore_server}/pingan/articles.json?_search={quote('砥砺行')}&_shape=array"
    found = json.loads(urllib.request.urlopen(url, timeout=10).read())
    assert [r["url"] for r in found] == [SEED_URL]


@pytest.mark.slow
def test_headless_chromium_finds_a_known_article(explore_server, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "chromium is not installed (apt-get install -y chromium chromium-driver; "
            ".ci/run installs it)"
        )
    page = f"{explore_server}/pingan/articles?_search={quote('砥砺行')}"
    result = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert SEED_TITLE in result.stdout
    assert "1 row" in result.stdout
