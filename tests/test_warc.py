"""`pingan warc`: a WARC 1.1 file that warcio reads back with every digest checked."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import query, run_pingan
from warcio.archiveiterator import ArchiveIterator

from pingan_crawler import Archive
from pingan_crawler.items import ListPage, Snapshot
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.model import Link
from pingan_crawler.storage import store

WARCIO = Path(sys.executable).with_name("warcio")


def read_records(path: Path) -> list[dict]:
    """Every record with its headers and payload, digests checked (a mismatch raises)."""
    records = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            payload = record.content_stream().read()
            records.append(
                {
                    "type": record.rec_type,
                    "version": record.rec_headers.protocol,
                    "warc": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "payload": payload,
                    "digest_ok": record.digest_checker.passed,
                }
            )
    return records


def test_demo_archive_rebuilds_as_a_valid_warc(demo_db, tmp_path):
    out = tmp_path / "demo.warc.gz"
    result = run_pingan("warc", str(out), db=demo_db)
    assert result.returncode == 0, result.stderr
    records = read_records(out)
    assert (
        records[0]["type"] == "warcinfo"
        and b"Rebuilt from the SQLite archive" in records[0]["payload"]
    )
    assert {r["version"] for r in records} == {"WARC/1.1"}
    responses = [r for r in records if r["type"] == "response"]
    snapshots = query(demo_db, "SELECT count(*) FROM snapshots")[0][0]
    assert len(responses) + sum(r["type"] == "revisit" for r in records) == snapshots
    stored = {d for (d,) in query(demo_db, "SELECT sha256 FROM snapshot_bodies")}
    assert {hashlib.sha256(r["payload"]).hexdigest() for r in responses} == stored
    assert all(r["digest_ok"] is not False for r in records)
    for r in responses:
        assert r["http"].get_header("Content-Length") == str(len(r["payload"]))
    if not WARCIO.exists():
        pytest.skip(f"{WARCIO} is absent")
    check = subprocess.run([str(WARCIO), "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_decoded_bodies_lose_transfer_headers_and_repeats_become_revisits(tmp_path):
    page = "<html><head><title>文章</title></head><body><p>全市开展反诈宣传。</p></body></html>"
    body = page.encode("gb18030")
    headers = {
        "Content-Type": ["text/html"],
        "Content-Encoding": ["gzip"],
        "Transfer-Encoding": ["chunked"],
        "Content-Length": ["57"],  # the gzip size on the wire, not the stored size
        "Server": ["Microsoft-IIS/6.0"],
    }
    archive = Archive(tmp_path / "a.db")
    for n, url in enumerate(["http://x.cn/list.asp?lb=1", "http://x.cn/list.asp?lb=1&page=1"]):
        fetched = datetime(2026, 11, 30, 9, n, tzinfo=SHANGHAI)
        snap = Snapshot(url, 200, headers, body, fetched, url)
        store(archive, None, ListPage("x", "要闻", 1, snap, [Link("http://x.cn/a/1", "文章")]))
    archive.close()
    out = tmp_path / "a.warc.gz"
    assert run_pingan("warc", str(out), db=tmp_path / "a.db").returncode == 0
    info, response, revisit = read_records(out)
    assert info["type"] == "warcinfo"
    assert response["payload"] == body
    http = response["http"]
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(body))
    assert http.get_header("Server") == "Microsoft-IIS/6.0"
    assert http.statusline == "200 OK"
    assert response["warc"]["WARC-Date"] == "2026-11-30T01:00:00Z"
    assert revisit["type"] == "revisit" and revisit["payload"] == b""
    assert revisit["warc"]["WARC-Target-URI"] == "http://x.cn/list.asp?lb=1&page=1"
    assert revisit["warc"]["WARC-Refers-To-Target-URI"] == "http://x.cn/list.asp?lb=1"
    assert revisit["warc"]["WARC-Refers-To"] == response["warc"]["WARC-Record-ID"]
    assert revisit["warc"]["WARC-Payload-Digest"] == response["warc"]["WARC-Payload-Digest"]
    assert "identical-payload-digest" in revisit["warc"]["WARC-Profile"]


def test_site_and_since_filters_select_snapshots(demo_db, tmp_path):
    out = tmp_path / "none.warc.gz"
    result = run_pingan("warc", str(out), "--site", "othersite", db=demo_db)
    assert "wrote 0 response and 0 revisit records" in result.stdout
    assert [r["type"] for r in read_records(out)] == ["warcinfo"]
    bad = run_pingan("warc", str(out), "--since", "soon", db=demo_db)
    assert bad.returncode == 2 and "--since" in bad.stderr
