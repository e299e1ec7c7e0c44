"""The ``pingan`` command: short functions over the library, one per subcommand."""

from __future__ import annotations

import argparse
import sys

from pingan_crawler.cli import analysis, archive, changes, crawling, profile, sites, trends
from pingan_crawler.cli.common import (
    DEFAULT_DB,
    EXIT_OK,
    EXIT_USAGE,
    ArchiveUnavailable,
    archive_problem,
    default_db,
    silence_stdout,
)

MODULES = (crawling, archive, sites, profile, analysis, changes, trends)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pingan",
        description="Crawl Chinese public-safety news sites into a SQLite archive, and study it.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--db",
            default=default_db(),
            help=f"archive path (default: $PINGAN_DB or {DEFAULT_DB})",
        )
        sub.set_defaults(func=func)
        return sub

    for module in MODULES:
        module.register(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; an archive or file that cannot be used is one line and exit code 2."""
    import sqlite3

    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, where it can be caught
        return code
    except BrokenPipeError:  # `pingan sites | head`: the reader has seen enough
        silence_stdout()
        return EXIT_OK
    except ArchiveUnavailable as exc:
        message = str(exc)
    except (sqlite3.Error, OSError) as exc:  # met after opening: damage, a full disk …
        message = archive_problem(args.db, exc)
    print(f"pingan {args.command}: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
