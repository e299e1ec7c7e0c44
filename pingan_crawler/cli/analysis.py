"""Analyst commands: search, export, reparse, warc, explore, reposts (substance in analysis/)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pingan_crawler.cli.common import (
    EXIT_ERRORS,
    EXIT_OK,
    EXIT_USAGE,
    AddCommand,
    add_filters,
    count_arg,
    filters_of,
    open_archive,
    output_path,
    parse_since,
    silence_stdout,
)


def fail(command: str, message: str) -> int:
    print(f"pingan {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_search(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.search import print_hits, search

    archive = open_archive(args, "search")
    try:
        hits = search(archive, args.query, filters_of(args), limit=args.limit, order=args.order)
    except QueryError as exc:
        print(f"pingan search: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    try:
        print_hits(hits, args.format, sys.stdout)
    except BrokenPipeError:  # `pingan search … | head`
        silence_stdout()
        return EXIT_OK
    if not hits:
        print(f"pingan search: no article contains {args.query!r}", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.export import ProgressBar, export
    from pingan_crawler.analysis.filters import QueryError

    to_file = bool(args.output and args.output != "-")
    try:
        filters = filters_of(args)  # the arguments first, then the file they go to
        target = output_path(args.output, args.force) if to_file else None
    except (QueryError, ValueError) as exc:
        return fail("export", str(exc))
    archive = open_archive(args, "export")
    progress = ProgressBar() if sys.stderr.isatty() else None
    try:
        if target is not None:
            with open(target, "w", encoding="utf-8", newline="") as out:
                count = export(
                    archive,
                    out,
                    args.format,
                    filters,
                    args.fields,
                    not args.no_bom,
                    progress,
                )
        else:
            sys.stdout.reconfigure(encoding="utf-8", newline="")
            count = export(
                archive,
                sys.stdout,
                args.format,
                filters,
                args.fields,
                not args.no_bom,
                progress,
            )
    except QueryError as exc:
        print(f"pingan export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `pingan export … | head`: the reader has seen enough
        silence_stdout()
        return EXIT_OK
    finally:
        archive.close()
    print(
        f"exported {count} articles as {args.format} → {args.output or 'stdout'}", file=sys.stderr
    )
    return EXIT_OK


def cmd_reparse(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.reparse import reparse

    archive = open_archive(args, "reparse")
    try:
        report = reparse(archive, filters_of(args), dry_run=args.dry_run)
    except QueryError as exc:
        print(f"pingan reparse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    for line in (*report.notes, *report.problems):
        print(f"pingan reparse: {line}", file=sys.stderr)
    verb = "would change" if args.dry_run else "changed"
    print(
        f"reparsed {report.articles} articles from their snapshots: {report.changed} {verb}, "
        f"{len(report.problems)} problems"
    )
    for name, count in sorted(report.fields.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {name}: {count}")
    return EXIT_ERRORS if report.problems else EXIT_OK


def cmd_warc(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.warc import write_warc

    try:
        filters = filters_of(args)  # the arguments first, then the file they go to
        target = output_path(args.out, args.force)
    except (QueryError, ValueError) as exc:
        return fail("warc", str(exc))
    archive = open_archive(args, "warc")
    try:
        with open(target, "wb") as out:
            report = write_warc(archive, out, filters, source=str(args.db))
    except QueryError as exc:
        print(f"pingan warc: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    print(
        f"wrote {report.responses} response and {report.revisits} revisit records "
        f"({report.bytes:,} bytes of bodies) → {args.out}"
    )
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    import importlib.util

    from pingan_crawler.analysis.explore import metadata, serve

    if importlib.util.find_spec("datasette") is None:
        print(
            "pingan explore: needs Datasette: pip install 'pingan-crawler[explore]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.metadata_out:
        try:
            output_path(args.metadata_out, force=True)  # a file it may write (replaced)
        except ValueError as exc:
            return fail("explore", str(exc))
    open_archive(args, "explore").close()  # opened once so the schema is current
    if args.metadata_out:
        text = json.dumps(metadata(args.db), ensure_ascii=False, indent=2)
        Path(args.metadata_out).write_text(text, "utf-8")
    if not is_loopback_host(args.host):
        print(
            f"pingan explore: WARNING: --host {args.host} serves the whole archive (every "
            f"article, page and crawl record) to anyone who can reach this machine on port "
            f"{args.port}, without a password; use the default 127.0.0.1 unless that is meant",
            file=sys.stderr,
        )
    print(f"pingan explore: http://{args.host}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr)
    serve(args.db, args.host, args.port)
    return EXIT_OK


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def cmd_reposts(args: argparse.Namespace) -> int:
    from pingan_crawler.repost_report import format_json, format_table

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        return fail("reposts", str(exc))
    archive = open_archive(args, "reposts")
    try:
        counts = archive.reposts.rebuild() if args.rebuild else archive.reposts.summary()
        clusters = archive.reposts.clusters(site=args.site, since=since)
    finally:
        archive.close()
    print(
        f"{counts['articles']} articles: {counts['signed']} signed, {counts['too_short']} too "
        f"short to sign, {counts['clustered']} in {counts['clusters']} repost clusters"
        + (" (rebuilt)" if args.rebuild else ""),
        file=sys.stderr,
    )
    if counts["unsigned"]:
        print(
            f"pingan reposts: {counts['unsigned']} articles have no current signature; "
            "run `pingan reposts --rebuild` once to cluster them",
            file=sys.stderr,
        )
    print(format_json(clusters) if args.format == "json" else format_table(clusters))
    return EXIT_OK


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
    search = command("search", cmd_search, "full-text search of titles and bodies, best first")
    search.add_argument("query", help="text to find; spaces separate terms that must all occur")
    add_filters(search)
    search.add_argument(
        "--limit", type=count_arg(1), default=20, help="at most N results (default 20)"
    )
    search.add_argument("--format", choices=("table", "json", "csv"), default="table")
    search.add_argument(
        "--order",
        choices=("relevance", "recent"),
        default="relevance",
        help="relevance (bm25; default) or recent (most recently archived first, faster)",
    )

    export = command("export", cmd_export, "write articles as CSV or JSONL (streaming)")
    export.add_argument("--format", choices=("csv", "jsonl"), required=True)
    add_filters(export)
    export.add_argument("--fields", help="comma-separated columns (default: all but body_html)")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.add_argument(
        "--force", action="store_true", help="overwrite -o if it exists (or write through a link)"
    )
    export.add_argument(
        "--no-bom", action="store_true", help="CSV without the byte-order mark Excel needs"
    )

    reparse = command(
        "reparse", cmd_reparse, "re-extract articles from their stored snapshots (no network)"
    )
    add_filters(reparse, section=False)
    reparse.add_argument(
        "--dry-run", action="store_true", help="count what would change, write nothing"
    )

    warc = command("warc", cmd_warc, "write the stored pages as a WARC 1.1 file")
    warc.add_argument("out", help="output file, e.g. archive.warc.gz")
    warc.add_argument("--force", action="store_true", help="overwrite it if it exists")
    warc.add_argument("--site", help="only this site's pages")
    warc.add_argument("--since", help="pages fetched on or after this date")
    warc.add_argument("--until", help="pages fetched on or before this date")

    explore = command("explore", cmd_explore, "browse the archive in Datasette (read-only)")
    explore.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default: this machine only)"
    )
    explore.add_argument("--port", type=count_arg(1, 65535), default=8001)
    explore.add_argument("--metadata-out", help="also save the Datasette metadata here")

    repost = command(
        "reposts",
        cmd_reposts,
        "list repost clusters (near-duplicate articles): original, copies, sites, time lag",
    )
    repost.add_argument("--site", help="only clusters with an article on this site")
    repost.add_argument("--since", help="only clusters whose original was published since DATE")
    repost.add_argument("--format", choices=("table", "json"), default="table")
    repost.add_argument(
        "--rebuild", action="store_true", help="sign every article again and recluster first"
    )
