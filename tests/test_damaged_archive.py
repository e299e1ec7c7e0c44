"""A damaged or unusable archive: every command says in one line what is wrong and what to do,
exits 2, never shows a traceback; ``pingan verify`` reports the damage and exits 1.

The commands run in this process (``pingan_crawler.cli.main``), each against each kind of bad
``--db``: a truncated file, a file of garbage, a directory, another program's SQLite file, a
path under a regular file, a locked database and a read-only one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from pingan_crawler.cli.main import main
from pingan_crawler.storage import Archive

# (command line after the command name, what it needs); {out} is a fresh output path
COMMANDS = {
    "status": [],
    "errors": [],
    "search": ["平安"],
    "export": ["--format", "csv"],
    "verify": [],
    "reparse": ["--dry-run"],
    "warc": ["{out}"],
    "explore": [],
    "reposts": [],
    "compact": [],
    "crawl": ["--start-url", "http://127.0.0.1:9/news/index.html"],
    "refresh-views": [],
    "ingest": ["--redis", "redis://127.0.0.1:9/0"],
    "demo": [],
    "trends": ["平安"],
    "report": ["-o", "{out}"],
    "changes": [],
    "recheck": [],
}


def make_archive(path: Path) -> Path:
    """A real, small archive (the schema and a crawl row), checkpointed into one file."""
    with Archive(path) as archive:
        archive.crawls.start("pasxw", {"spider": "pingan"})
        archive.checkpoint()
    return path


def truncated(tmp: Path) -> Path:
    good = make_archive(tmp / "good.db")
    data = good.read_bytes()
    bad = tmp / "truncated.db"
    bad.write_bytes(data[: len(data) // 2])
    return bad


def garbage(tmp: Path) -> Path:
    bad = tmp / "garbage.db"
    bad.write_bytes(os.urandom(40_000))
    return bad


def directory(tmp: Path) -> Path:
    (tmp / "archive").mkdir()
    return tmp / "archive"


def foreign(tmp: Path) -> Path:
    bad = tmp / "other.db"
    with sqlite3.connect(bad) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
    return bad


def under_a_file(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("not a directory")
    return tmp / "notes.txt" / "pingan.db"


CASES = {  # name → (make the bad --db, words the message must hold)
    "truncated": (truncated, "is truncated"),
    "garbage": (garbage, "not a pingan archive"),
    "directory": (directory, "is a directory"),
    "foreign": (foreign, "not a pingan archive"),
    "under_a_file": (under_a_file, "is a file, not a directory"),
}


def run(command: str, db: Path, tmp: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    import pingan_crawler.distributed.connection as connection

    monkeypatch.setattr(connection, "redis_problem", lambda url: None)  # ingest gets as far
    args = [arg.format(out=tmp / "out.warc.gz") for arg in COMMANDS[command]]
    code = main([command, *args, "--db", str(db)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_says_what_is_wrong_with_the_archive(
    command, case, tmp_path, capsys, monkeypatch
):
    make, words = CASES[case]
    db = make(tmp_path)
    if command == "explore":
        pytest.importorskip("datasette", reason="explore needs the [explore] extra")
    code, out, err = run(command, db, tmp_path, capsys, monkeypatch)
    assert "Traceback" not in err
    if command == "verify" and case in ("truncated", "garbage"):
        assert code == 1  # the damage is what verify reports
        assert "DAMAGED" in out and words in out
        return
    assert code == 2, err
    [line] = err.strip().splitlines()
    assert line.startswith(f"pingan {command}: ") and words in line, line
    assert not (tmp_path / "out.warc.gz").exists()


def test_verify_reports_damage_inside_a_file_that_opens(tmp_path, capsys, monkeypatch):
    """Pages overwritten in the middle: the archive opens, reading it meets the damage."""
    db = make_archive(tmp_path / "a.db")
    with Archive(db) as archive:  # enough rows that the damage falls on data pages
        for n in range(400):
            archive.crawls.start(f"site{n}", {"note": "x" * 400})
        archive.checkpoint()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(len(data) // 2, len(data) - page, page * 3):
        data[offset + 8 : offset + 200] = b"\xff" * 192
    db.write_bytes(bytes(data))
    code, out, err = run("verify", db, tmp_path, capsys, monkeypatch)
    assert code == 1
    assert "Traceback" not in err
    assert "DAMAGED" in out or "problems" in out
    code, out, err = run("errors", db, tmp_path, capsys, monkeypatch)
    assert "Traceback" not in err
    assert code in (0, 2)
    if code == 2:
        [line] = err.strip().splitlines()
        assert "is damaged" in line and "pingan verify" in line


@pytest.mark.parametrize("command", ["status", "search", "export", "crawl", "compact"])
def test_a_locked_archive_names_the_lock_and_what_to_do(command, tmp_path, capsys, monkeypatch):
    import pingan_crawler.storage.archive as archive_module

    monkeypatch.setattr(archive_module, "BUSY_TIMEOUT_MS", 100)  # not the 10 s of a real run
    db = make_archive(tmp_path / "locked.db")
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE held (x)")
        code, _out, err = run(command, db, tmp_path, capsys, monkeypatch)
    finally:
        holder.close()
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"pingan {command}: ") and "is locked by another process" in line


@pytest.fixture
def read_only_dir(tmp_path) -> Path:
    """A directory the process cannot write: a read-only tmpfs as root, else chmod 555."""
    place = tmp_path / "ro"
    place.mkdir()
    if os.geteuid() != 0:
        make_archive(place / "pingan.db")
        place.chmod(0o555)
        (place / "pingan.db").chmod(0o444)
        yield place
        place.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(place)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("root, but mount is not allowed here: no read-only filesystem to test on")
    try:
        make_archive(place / "pingan.db")
        for suffix in ("-wal", "-shm"):
            (place / f"pingan.db{suffix}").unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(place)], check=True)
        yield place
    finally:
        if subprocess.run(["umount", str(place)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(place)], capture_output=True)


@pytest.mark.parametrize("command", ["status", "search", "errors", "export", "crawl"])
def test_a_read_only_archive_says_so(command, read_only_dir, tmp_path, capsys, monkeypatch):
    db = read_only_dir / "pingan.db"
    code, _out, err = run(command, db, tmp_path, capsys, monkeypatch)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"pingan {command}: ") and "read-only" in line and "writable" in line


def test_crawl_into_a_read_only_directory_says_it_cannot_create_the_archive(
    read_only_dir, tmp_path, capsys, monkeypatch
):
    code, _out, err = run("crawl", read_only_dir / "new.db", tmp_path, capsys, monkeypatch)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "cannot create" in line and "not writable" in line


def test_a_missing_archive_is_named_by_every_reading_command(tmp_path, capsys, monkeypatch):
    db = tmp_path / "nowhere" / "pingan.db"
    for command in ("status", "errors", "search", "export", "verify", "warc", "reposts"):
        code, _out, err = run(command, db, tmp_path, capsys, monkeypatch)
        assert code == 2
        assert err.strip() == f"pingan {command}: no archive at {db} (crawl first, or give --db)"
    assert not db.parent.exists()  # reading never creates


def test_a_good_archive_still_opens(tmp_path, capsys, monkeypatch):
    db = make_archive(tmp_path / "ok.db")
    shutil.copy(db, tmp_path / "copy.db")
    code, out, _err = run("status", tmp_path / "copy.db", tmp_path, capsys, monkeypatch)
    assert code == 0 and out.startswith("pasxw: last run #1")


WRITE_AND_CLOSE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE crawls SET site = site")
conn.commit()
conn.close()
"""


def test_checking_an_archive_open_in_this_process_keeps_its_locks(tmp_path, capsys):
    """The truncation check reads the file's header itself; closing that descriptor would drop
    the SQLite locks this process holds on the file, and another process's last connection
    would then delete the WAL under the open one (which then reads the archive as malformed)."""
    import sys

    db = make_archive(tmp_path / "pingan.db")
    held = sqlite3.connect(db)
    held.execute("PRAGMA journal_mode = wal")
    held.execute("SELECT count(*) FROM crawls").fetchone()
    assert main(["status", "--db", str(db)]) == 0
    capsys.readouterr()
    subprocess.run([sys.executable, "-c", WRITE_AND_CLOSE, str(db)], check=True)
    assert Path(f"{db}-wal").exists(), "the other process thought it was alone"
    with sqlite3.connect(db) as fresh:
        assert fresh.execute("PRAGMA quick_check").fetchone() == ("ok",)
    held.close()
