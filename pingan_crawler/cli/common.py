"""What every command shares: exit codes, the --db option, opening the archive, filters."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.fixtureserver import SAMPLE_SITE
from pingan_crawler.parsing.dates import parse_publish_time

__all__ = ["SAMPLE_SITE"]  # imported from here by the command modules
DEFAULT_DB = "data/pingan.db"
EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_BLOCKED, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5

# ``command(name, handler, help)``: a subparser with ``--db`` whose ``func`` is the handler.
AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def default_db() -> str:
    """The archive path when --db is not given: $PINGAN_DB, else data/pingan.db."""
    return os.environ.get("PINGAN_DB", DEFAULT_DB)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def parse_since(text: str):
    parsed = parse_publish_time(text)
    if parsed.value is None:
        raise ValueError(f"--since {text!r} is not a date (use YYYY-MM-DD): {parsed.problem}")
    return parsed.value


def parse_settings(pairs: list[str]) -> dict:
    """``-s NAME=VALUE`` pairs, as ``scrapy crawl -s`` takes them."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isupper():
            raise ValueError(f"-s {pair!r}: use NAME=VALUE with a Scrapy setting name")
        settings[name] = value
    return settings


def open_archive(args: argparse.Namespace, name: str):
    """The archive at --db, or None (with a message) when there is none."""
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(
            f"pingan {name}: no archive at {args.db} (crawl first, or give --db)", file=sys.stderr
        )
        return None
    return Archive(args.db)


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
