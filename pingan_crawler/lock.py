"""One crawl at a time per (archive, site), safe for cron.

An exclusive ``flock`` on ``<db>.<site>.lock``: the kernel drops it when the holder dies (even by
SIGKILL), so a stale lock is simply taken over; the file's text names the holder for the message
a second run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from pingan_crawler.storage import now_iso


class LockHeld(RuntimeError):
    """Another live process holds the lock; the message names it."""


def describe_holder(holder: dict | str | None) -> str:
    """A lock's holder as a sentence part: ``process 1234 on host db1, since 2026-…``."""
    if isinstance(holder, str):
        try:
            holder = json.loads(holder)
        except ValueError:
            return f"an unknown holder ({holder[:80]!r})" if holder else "an unknown holder"
    if not isinstance(holder, dict) or not holder:
        return "an unknown holder"
    if "unreadable" in holder:
        return f"an unknown holder (the lock file said {holder['unreadable'][:80]!r})"
    who = f"process {holder.get('pid', '?')}"
    if holder.get("host"):
        who += f" on {holder['host']}"
    if holder.get("since"):
        who += f", since {holder['since']}"
    return who


def lock_path(db: str | Path, site: str) -> Path:
    db = Path(db)
    return db.with_name(f"{db.name}.{site}.lock")


@contextmanager
def crawl_lock(db: str | Path, site: str) -> Iterator[dict | None]:
    """Hold the lock for ``site`` on ``db``; yields the previous holder's record if it was stale."""
    path = lock_path(db, site)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = describe_holder(handle.read().strip())
            raise LockHeld(
                f"another run is crawling {site} into {db}: {holder} holds the lock {path}; "
                f"wait for it to finish, or stop it"
            ) from exc
        handle.seek(0)
        stale = handle.read().strip()
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso(), "site": site}
            )
        )
        handle.flush()
        try:
            previous = json.loads(stale) if stale else None
        except ValueError:
            previous = {"unreadable": stale[:200]}
        yield previous
        handle.seek(0)
        handle.truncate()
    finally:
        handle.close()  # closing the descriptor releases the flock


@contextmanager
def crawl_locks(db: str | Path, sites: list[str]) -> Iterator[dict[str, dict]]:
    """All sites' locks or none; yields {site: stale holder} for locks taken over."""
    with ExitStack() as stack:
        stale = {}
        for site in sites:
            previous = stack.enter_context(crawl_lock(db, site))
            if previous:
                stale[site] = previous
        yield stale
