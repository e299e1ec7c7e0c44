"""What every command shares: exit codes, the --db option, opening the archive, filters."""

from __future__ import annotations

import argparse
import os
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
    "add_filters",
    "default_db",
    "filters_of",
    "open_archive",
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
