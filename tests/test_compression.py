"""Snapshot bodies: zlib first, a site dictionary once trained, every body readable byte-exact."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest
from conftest import PASXW

from pingan_crawler import compression
from pingan_crawler.items import ListPage, Snapshot
from pingan_crawler.storage import Archive, store


def sample_pages() -> list[tuple[str, bytes]]:
    """Every distinct page of the bundled sample site (GBK article and list pages)."""
    routes = json.loads((PASXW / "routes.json").read_text("utf-8"))["routes"]
    files = {route["file"]: path for path, route in routes.items()}
    return [
        ("http://pasxw.com" + path, (PASXW / name).read_bytes()) for name, path in files.items()
    ]


def store_pages(archive: Archive, pages: list[tuple[str, bytes]], site: str = "pasxw") -> None:
    for url, body in pages:
        snap = Snapshot(
            url, 200, {"Content-Type": ["text/html"]}, body, datetime.now().astimezone(), url
        )
        store(archive, None, ListPage(site, "s", 1, snap, []))


def stored(archive: Archive) -> list[tuple[str, str, int, int]]:
    return archive.db.execute(
        "SELECT sha256, compression, size, length(data) FROM snapshot_bodies ORDER BY rowid"
    ).fetchall()


@pytest.fixture
def archive(tmp_path, monkeypatch):
    monkeypatch.setattr(compression, "TRAIN_AFTER", 40)
    archive = Archive(tmp_path / "a.db")
    yield archive
    archive.close()


def test_site_dictionary_is_trained_after_enough_pages_and_packs_smaller(archive):
    pages = sample_pages()
    assert len(pages) > 60
    store_pages(archive, pages)
    rows = stored(archive)
    labels = [label for _sha, label, _size, _len in rows]
    assert labels[:40] == ["zlib"] * 40  # TRAIN_AFTER bodies, then the dictionary
    (dict_id,) = archive.db.execute("SELECT id FROM snapshot_dictionaries").fetchone()
    assert set(labels[40:]) == {f"zstd:{dict_id}"}
    zlib_ratio = sum(n for _s, lab, _z, n in rows if lab == "zlib") / sum(
        z for _s, lab, z, _n in rows if lab == "zlib"
    )
    zstd_ratio = sum(n for _s, lab, _z, n in rows if lab != "zlib") / sum(
        z for _s, lab, z, _n in rows if lab != "zlib"
    )
    assert zstd_ratio < zlib_ratio / 2


def test_every_body_reads_back_byte_exact_in_a_new_process_view(archive, tmp_path):
    pages = sample_pages()
    store_pages(archive, pages)
    reopened = Archive(tmp_path / "a.db")
    try:
        for _url, body in pages:
            assert reopened.snapshots.body(hashlib.sha256(body).hexdigest()) == body
    finally:
        reopened.close()


def test_a_dictionary_trained_in_a_rolled_back_transaction_is_never_used(archive):
    """Training happens inside the transaction that stores the next body; when that rolls
    back, the dictionary row is gone, so no later body may be packed with it."""
    pages = sample_pages()
    store_pages(archive, pages[:40])
    with pytest.raises(RuntimeError), archive.transaction():
        store_pages(archive, pages[40:41])  # trains the dictionary, packs one body with it
        assert archive.db.execute("SELECT count(*) FROM snapshot_dictionaries").fetchone() == (1,)
        raise RuntimeError("the writer failed before committing")
    assert archive.db.execute("SELECT count(*) FROM snapshot_dictionaries").fetchone() == (0,)
    store_pages(archive, pages[40:])
    labels = {label for _sha, label, _size, _len in stored(archive)}
    assert labels == {"zlib", "zstd:1"}
    for _url, body in pages:
        assert archive.snapshots.body(hashlib.sha256(body).hexdigest()) == body


def test_compact_repacks_the_early_zlib_bodies(archive):
    pages = sample_pages()
    store_pages(archive, pages)
    before = stored(archive)
    totals = archive.snapshots.compact()
    after = stored(archive)
    assert totals["bodies"] == sum(1 for row in before if row[1] == "zlib") == 40
    assert all(label.startswith("zstd:") for _s, label, _z, _n in after)
    assert totals["bytes_after"] < totals["bytes_before"] / 2
    for _url, body in pages:
        assert archive.snapshots.body(hashlib.sha256(body).hexdigest()) == body


def test_a_site_with_few_pages_stays_zlib(archive):
    store_pages(archive, sample_pages()[:10])
    assert {label for _s, label, _z, _n in stored(archive)} == {"zlib"}
    assert archive.snapshots.compact()["bodies"] == 0


def test_unknown_compression_is_a_clear_error():
    unpacker = compression.Unpacker(lambda _id: b"")
    with pytest.raises(ValueError, match="unknown snapshot compression 'lzma'"):
        unpacker.unpack("lzma", b"x")


def test_compact_command_reports_and_vacuums(archive, tmp_path):
    from conftest import run_pingan

    store_pages(archive, sample_pages())
    archive.close()  # checkpoints the WAL into the file
    size_before = (tmp_path / "a.db").stat().st_size
    result = run_pingan("compact", "--vacuum", "--db", str(tmp_path / "a.db"), db=tmp_path / "a.db")
    assert result.returncode == 0, result.stderr
    assert "repacked 40 snapshot bodies" in result.stdout
    assert (tmp_path / "a.db").stat().st_size < size_before


def test_verify_and_warc_read_dictionary_packed_bodies(archive, tmp_path):
    import sqlite3

    from test_warc import read_records

    from pingan_crawler.analysis.verify import verify
    from pingan_crawler.analysis.warc import write_warc

    pages = sample_pages()
    store_pages(archive, pages)
    report = verify(archive)
    assert report.ok, report.problems
    assert report.bodies == len(pages)
    with (tmp_path / "out.warc.gz").open("wb") as out:
        write_warc(archive, out)
    payloads = {
        r["payload"] for r in read_records(tmp_path / "out.warc.gz") if r["type"] == "response"
    }
    assert payloads == {body for _url, body in pages}
    # A damaged dictionary-packed body is reported by name, not a traceback.
    conn = sqlite3.connect(tmp_path / "a.db")
    digest = conn.execute(
        "SELECT sha256 FROM snapshot_bodies WHERE compression LIKE 'zstd:%' LIMIT 1"
    ).fetchone()[0]
    conn.execute(
        "UPDATE snapshot_bodies SET data = ? WHERE sha256 = ?", [b"\x28\xb5\x2f\xfd junk", digest]
    )
    conn.commit()
    conn.close()
    problems = verify(archive).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"body {digest}: unreadable: zstd:") and "damaged" in problems[0]
