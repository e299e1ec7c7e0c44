"""Commands about the archive itself: status, errors, compact, verify."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from pingan_crawler.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    AddCommand,
    ArchiveUnavailable,
    archive_problem,
    count_arg,
    is_damage,
    open_archive,
)


def cmd_status(args: argparse.Namespace) -> int:
    with open_archive(args, "status") as archive:
        rows = archive.crawls.status()
    if not rows:
        print(f"{args.db}: no crawls yet")
    for row in rows:
        errors = ", ".join(f"{kind} {n}" for kind, n in row["last_errors"]) or "none"
        print(
            f"{row['site']}: last run #{row['crawl_id']} {row['started_at']} → "
            f"{row['finished_at'] or 'still running or killed'} ({row['finish_reason'] or '?'}); "
            f"{row['articles']} articles archived, newest {row['newest'] or '-'}; "
            f"last run: {row['articles_new'] or 0} new, errors: {errors}"
        )
    return EXIT_OK


def cmd_errors(args: argparse.Namespace) -> int:
    from pingan_crawler.errorreport import errors_report

    archive = open_archive(args, "errors")
    try:
        print("\n".join(errors_report(archive, args.crawl, args.examples)))
    except LookupError as exc:
        print(f"pingan errors: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    return EXIT_OK


def cmd_compact(args: argparse.Namespace) -> int:
    archive = open_archive(args, "compact")
    try:
        totals = archive.snapshots.compact()
        if args.vacuum:
            archive.vacuum()
    finally:
        archive.close()
    saved = totals["bytes_before"] - totals["bytes_after"]
    hint = "" if args.vacuum else " (run with --vacuum to shrink the file)"
    print(
        f"{args.db}: repacked {totals['bodies']} snapshot bodies with their site's dictionary, "
        f"{saved / 1e6:.1f} MB smaller{hint}"
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Fixity of every body and SQLite's own check; damage is reported here, exit code 1."""
    from pingan_crawler.analysis.verify import verify

    try:
        archive = open_archive(args, "verify")
    except ArchiveUnavailable as exc:
        if not exc.damaged:
            raise  # nothing to verify: no file, a directory, a lock, no permission
        return report_damage(args.db, str(exc), integrity_of_file(args.db))
    try:
        report = verify(archive)
    except sqlite3.DatabaseError as exc:  # the file opened, then damage met while reading
        if not is_damage(exc):
            raise
        return report_damage(args.db, archive_problem(args.db, exc), integrity_of_file(args.db))
    finally:
        archive.close()
    for problem in report.problems:
        print(f"pingan verify: {problem}", file=sys.stderr)
    integrity = "; ".join(report.integrity)
    print(
        f"verified {report.bodies} stored bodies ({report.bytes:,} bytes) of "
        f"{report.snapshots} snapshots: {len(report.problems)} problems; "
        f"integrity_check: {integrity}"
    )
    return EXIT_OK if report.ok else EXIT_ERRORS


def integrity_of_file(db: str) -> list[str]:
    """SQLite's ``integrity_check`` of a file the archive cannot open (read-only, no
    migrations); the error itself when even that fails."""
    from pathlib import Path

    try:
        conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True)
        try:
            return [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [f"cannot be checked: {exc}"]


def report_damage(db: str, problem: str, integrity: list[str]) -> int:
    """What verify found in an archive too damaged to read through: SQLite's own findings."""
    for line in integrity[:20]:
        print(f"pingan verify: integrity_check: {line}", file=sys.stderr)
    if len(integrity) > 20:
        print(f"pingan verify: … and {len(integrity) - 20} more", file=sys.stderr)
    print(f"pingan verify: DAMAGED: {problem}")
    return EXIT_ERRORS


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
    command("status", cmd_status, "per site: last run, its outcome, archive size, newest article")

    errors = command(
        "errors",
        cmd_errors,
        "a run's errors grouped by kind (default: the last run, every site it crawled)",
    )
    errors.add_argument("--crawl", type=count_arg(1), help="crawl id (see `pingan status`)")
    errors.add_argument(
        "--examples", type=count_arg(0), default=3, help="URLs shown per kind (default 3)"
    )

    compact = command(
        "compact", cmd_compact, "repack early snapshots with their site's zstd dictionary"
    )
    compact.add_argument("--vacuum", action="store_true", help="then VACUUM to shrink the file")

    command("verify", cmd_verify, "recompute every stored body's sha256; check the database")
