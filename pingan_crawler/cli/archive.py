"""Commands about the archive itself: status, errors, compact, verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingan_crawler.cli.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, AddCommand, open_archive


def cmd_status(args: argparse.Namespace) -> int:
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(f"pingan status: no archive at {args.db}", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.db)
    rows = archive.crawls.status()
    archive.close()
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
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(f"pingan errors: no archive at {args.db}", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.db)
    try:
        print("\n".join(errors_report(archive, args.crawl, args.examples)))
    except LookupError as exc:
        print(f"pingan errors: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    return EXIT_OK


def cmd_compact(args: argparse.Namespace) -> int:
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(f"pingan compact: no archive at {args.db}", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.db)
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
    from pingan_crawler.analysis.verify import verify

    archive = open_archive(args, "verify")
    if archive is None:
        return EXIT_USAGE
    try:
        report = verify(archive)
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


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
    command("status", cmd_status, "per site: last run, its outcome, archive size, newest article")

    errors = command("errors", cmd_errors, "a run's errors grouped by kind (default: last run)")
    errors.add_argument("--crawl", type=int, help="crawl id (see `pingan status`)")
    errors.add_argument("--examples", type=int, default=3, help="URLs shown per kind")

    compact = command(
        "compact", cmd_compact, "repack early snapshots with their site's zstd dictionary"
    )
    compact.add_argument("--vacuum", action="store_true", help="then VACUUM to shrink the file")

    command("verify", cmd_verify, "recompute every stored body's sha256; check the database")
