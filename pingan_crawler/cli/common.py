"""What every command shares: exit codes, the --db option, opening the archive, filters."""

from __future__ import annotations

import argparse
import errno
import gc
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

# The exit codes are the crawl's (README "Exit codes"); every command uses the same ones.
from pingan_crawler.crawl.args import parse_since
from pingan_crawler.crawl.summary import (
    EXIT_BLOCKED,
    EXIT_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
)

__all__ = [
    "DEFAULT_DB",
    "EXIT_BLOCKED",
    "EXIT_ERRORS",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_USAGE",
    "AddCommand",
    "ArchiveUnavailable",
    "add_filters",
    "archive_problem",
    "check_archive",
    "count_arg",
    "default_db",
    "filters_of",
    "is_damage",
    "open_archive",
    "output_path",
    "parse_settings",
    "parse_since",
    "silence_stdout",
]

DEFAULT_DB = "data/pingan.db"

# ``command(name, handler, help)``: a subparser with ``--db`` whose ``func`` is the handler.
AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def default_db() -> str:
    """The archive path when --db is not given: $PINGAN_DB, else data/pingan.db."""
    return os.environ.get("PINGAN_DB", DEFAULT_DB)


def parse_settings(pairs: list[str]) -> dict:
    """``-s NAME=VALUE`` pairs, as ``scrapy crawl -s`` takes them."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isupper():
            raise ValueError(f"-s {pair!r}: use NAME=VALUE with a Scrapy setting name")
        settings[name] = value
    return settings


class ArchiveUnavailable(Exception):
    """The archive at --db cannot be used; the message says what is wrong and what to do.

    Every command reaches the archive through :func:`open_archive` (or :func:`check_archive`),
    and ``pingan``'s main turns this, and any SQLite or OS error a command meets later, into
    one line and exit code 2: never a traceback. ``damaged`` tells a damaged file (which
    ``pingan verify`` reports) from one that is missing, locked or not writable.
    """

    def __init__(self, message: str, damaged: bool = False):
        super().__init__(message)
        self.damaged = damaged


def is_damage(exc: BaseException) -> bool:
    """An SQLite error saying the file itself is damaged (not busy, not read-only)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(
        word in text for word in ("not a database", "malformed", "corrupt", "could not decode")
    )


def archive_problem(db: str | os.PathLike, exc: BaseException) -> str:
    """One line saying what is wrong with the archive at ``db`` (from the error SQLite or the
    OS raised) and what to do about it."""
    db = str(db)
    path = Path(db)
    message = str(exc)
    if len(message) > 160:  # SQLite may quote a whole damaged value
        message = message[:157] + "…"
    lowered = message.lower()
    if isinstance(exc, sqlite3.Error):
        if "not a database" in lowered:
            return (
                f"{db} is not a pingan archive (SQLite says: {message}): it is damaged, "
                f"truncated or another kind of file; restore it from a backup or give another --db"
            )
        if is_damage(exc):
            return (
                f"{db} is damaged ({message}): see `pingan verify --db {db}`, then restore it "
                f"from a backup (or salvage what is left with `sqlite3 {db} .recover`)"
            )
        if not path.exists() and not _writable(path):
            return (
                f"cannot create {db}: its directory is read-only or not writable ({message}); "
                f"give --db a path where pingan may write"
            )
        if "readonly" in lowered or "read-only" in lowered or not _writable(path):
            return (
                f"{db} is read-only ({message}): pingan writes to the archive and beside it "
                f"(its -wal and -shm files); make it and its directory writable, or copy it "
                f"somewhere writable"
            )
        if "locked" in lowered or "busy" in lowered:
            return (
                f"{db} is locked by another process ({message}): wait for that run (a crawl, "
                f"`pingan compact`, an open sqlite3 shell) to finish, or stop it"
            )
        if "full" in lowered:
            return f"the disk holding {db} is full ({message}): free some space, then run again"
        if "disk i/o" in lowered:
            return f"{db}: the disk failed to read or write ({message}): check the disk"
        if "unable to open" in lowered:
            return (
                f"cannot open {db} ({message}): check that its directory exists and is "
                f"readable and writable"
            )
        return f"{db}: SQLite error: {message}"
    if isinstance(exc, OSError):
        where = exc.filename or db
        if exc.errno == errno.ENOSPC:
            return f"the disk holding {where} is full: free some space, then run again"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"{where}: {exc.strerror}: pingan needs to write there; fix its permissions"
        return f"{where}: {exc.strerror or message}"
    return f"{db}: {message}"


def _writable(path: Path) -> bool:
    target = path if path.exists() else path.parent
    return os.access(target, os.W_OK) and (not path.exists() or os.access(path.parent, os.W_OK))


def _shape_problem(path: Path, must_exist: bool) -> str | None:
    """What is wrong with the path itself, before SQLite is asked (None: nothing)."""
    if path.is_dir():
        return (
            f"{path} is a directory, not an archive: give the database file (--db {path}/pingan.db)"
        )
    if path.exists():
        if not path.is_file():
            return f"{path} is not a regular file: give the archive's database file"
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        return f"no archive can be at {path}: {parent} is a file, not a directory"
    if must_exist:
        return f"no archive at {path} (crawl first, or give --db)"
    return None


def _open_in_this_process(path: Path) -> bool:
    """Whether this process already holds ``path`` open (an SQLite connection, on Linux).

    Closing *any* descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    included: a connection would lose its shared lock, and another process's last connection,
    believing itself alone, would delete the WAL under it (the archive then reads as
    malformed here). So the raw header is read only when nothing here has the file open.
    """
    try:
        target = path.stat()
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            held = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if (held.st_dev, held.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def _truncated(path: Path) -> str | None:
    """A file shorter than its SQLite header says (cut by a full disk, a copy broken off):
    SQLite would open it and fail later, on whichever page is missing."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return None  # pages past the main file's end may be in the WAL (a checkpoint cut
        # short by a full disk): SQLite reads them there
    if _open_in_this_process(path):
        return None  # SQLite has it open here: it read the header already, and closing a
        # descriptor of our own would drop its locks
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError:
        return None  # unreadable: opening it says why
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the page count is meaningful (SQLite ≥ 3.7)
    if valid and pages and size < pages * page_size:
        return (
            f"{path} is truncated: its header says {pages * page_size:,} bytes, the file has "
            f"{size:,}; see `pingan verify --db {path}`, then restore it from a backup (or "
            f"salvage what is left with `sqlite3 {path} .recover`)"
        )
    return None


def _foreign_database(path: Path) -> str | None:
    """An SQLite file with tables of its own but none of ours: not to be written to."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
        try:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # damaged, locked or read-only: opening the archive says which
    if names and "_sqlite_migrations" not in names and "articles" not in names:
        return (
            f"{path} is an SQLite database but not a pingan archive (it has none of its "
            f"tables): give the archive with --db, or a new file name to start one"
        )
    return None


def check_archive(db: str | os.PathLike, must_exist: bool = True):
    """Open the archive at ``db`` (created when ``must_exist`` is false) and return it;
    raises :class:`ArchiveUnavailable` with a one-line reason and what to do."""
    from pingan_crawler.storage import Archive

    path = Path(db)
    if problem := _shape_problem(path, must_exist):
        raise ArchiveUnavailable(problem)
    if problem := _truncated(path):
        raise ArchiveUnavailable(problem, damaged=True)
    if problem := _foreign_database(path):
        raise ArchiveUnavailable(problem)
    try:
        return Archive(path)
    except (sqlite3.Error, OSError) as exc:
        problem = ArchiveUnavailable(archive_problem(db, exc), is_damage(exc))
    # Raised out here, the half-opened archive (held by the error's traceback) is let go
    # at once, and with it the file: a read-only mount can be unmounted, a file removed.
    gc.collect()
    raise problem


def open_archive(args: argparse.Namespace, name: str):
    """The archive at --db, migrated; raises :class:`ArchiveUnavailable` (``pingan`` prints
    it as ``pingan NAME: …`` and exits 2) when it is missing or cannot be used."""
    return check_archive(args.db)


def output_path(path: str, force: bool) -> Path:
    """A file a command may write its output to; ValueError saying why not.

    An existing file is overwritten, and a symlink followed, only with ``--force``; a
    directory or a missing directory is never a file.
    """
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"{path} is a directory: give a file name inside it (-o {path}/FILE)")
    if not out.parent.is_dir():
        raise ValueError(f"{out.parent} does not exist: create it first, or write elsewhere")
    if out.is_symlink() and not force:
        raise ValueError(
            f"{path} is a symbolic link (to {os.readlink(out)}): give --force to write through it"
        )
    if out.exists() and not force:
        raise ValueError(f"{path} exists: give --force to overwrite it, or another file name")
    return out


def count_arg(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` (to ``maximum``), said plainly."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            span = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number {span}")
        return value

    return parse


def silence_stdout() -> None:
    """After a closed pipe, send what Python still flushes at exit to /dev/null."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def filters_of(args: argparse.Namespace):
    from pingan_crawler.analysis.filters import Filters

    return Filters.parse(
        getattr(args, "site", None),
        getattr(args, "section", None),
        getattr(args, "since", None),
        getattr(args, "until", None),
    )


def add_filters(sub: argparse.ArgumentParser, section: bool = True) -> None:
    """The --site/--section/--since/--until options of the analyst commands."""
    sub.add_argument("--site", help="only this site (profile name)")
    if section:
        sub.add_argument("--section", help="only this section (栏目 name)")
    sub.add_argument("--since", help="published on or after this date (YYYY-MM-DD)")
    sub.add_argument("--until", help="published on or before this date (YYYY-MM-DD)")
