"""``pingan profile draft`` and ``pingan profile check``: add a site, check it live, record it.

Exit codes beyond the common ones (README "Exit codes"): a draft that cannot start says why in
one line and exits with the code of its kind, so scripts can tell them apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingan_crawler.cli.common import EXIT_BLOCKED, EXIT_ERRORS, EXIT_OK, EXIT_USAGE, AddCommand

EXIT_UNREACHABLE = 6  # the URL cannot be fetched (network, HTTP error, robots.txt)
EXIT_NOT_HTML = 7  # the homepage is no HTML page
EXIT_NO_SECTIONS = 8  # nothing on the page leads to a list of articles
DRAFT_EXIT = {
    "usage": EXIT_USAGE,
    "blocked": EXIT_BLOCKED,
    "unreachable": EXIT_UNREACHABLE,
    "robots": EXIT_UNREACHABLE,
    "budget": EXIT_UNREACHABLE,
    "not_html": EXIT_NOT_HTML,
    "no_sections": EXIT_NO_SECTIONS,
}


def cmd_draft(args: argparse.Namespace) -> int:
    from pingan_crawler.sites.draft import DraftError, draft_profile
    from pingan_crawler.sites.fetch import PoliteFetcher

    if args.sample < 1 or args.max_requests < 5:
        print("pingan profile draft: --sample ≥ 1 and --max-requests ≥ 5", file=sys.stderr)
        return EXIT_USAGE
    fetcher = PoliteFetcher(budget=args.max_requests)
    try:
        draft = draft_profile(args.url, fetcher, name=args.name or "", sample=args.sample)
    except DraftError as exc:
        print(f"pingan profile draft: {exc}", file=sys.stderr)
        return DRAFT_EXIT.get(exc.kind, EXIT_ERRORS)
    report = "\n".join(draft.report)
    if args.output:
        path = Path(args.output)
        if path.is_dir():
            path = path / f"{draft.name}.toml"
        try:
            path.write_text(draft.toml, "utf-8")
        except OSError as exc:
            print(f"pingan profile draft: cannot write {path}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        print(report)
        print(f"wrote {path}; next: pingan profile check {path}")
    else:
        print(report, file=sys.stderr)
        sys.stdout.write(draft.toml)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from pingan_crawler.sites import ProfileError
    from pingan_crawler.sites.check import resolve, run_check
    from pingan_crawler.sites.tomlout import write_checked

    if args.sample < 1 or args.max_pages < 1 or args.max_requests < 5:
        print(
            "pingan profile check: --sample, --max-pages ≥ 1 and --max-requests ≥ 5",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        _, path = resolve(args.profile)
    except ProfileError as exc:
        print(f"pingan profile check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    record = Path(args.record) if args.record else None
    if record is not None and record.exists() and any(record.iterdir()):
        print(
            f"pingan profile check: --record {record}: the folder is not empty; give a new one",
            file=sys.stderr,
        )
        return EXIT_USAGE
    report = run_check(
        str(path),
        base_url=args.base_url,
        sample=args.sample,
        pages=args.max_pages,
        budget=args.max_requests,
        record_dir=record,
    )
    print("\n".join(report.lines()))
    if record is not None:
        print(f"recorded {report.requests} responses and {report.articles} articles in {record}")
    if args.write:
        try:
            write_checked(path, report.record())
        except (OSError, ProfileError) as exc:
            print(f"pingan profile check: --write {path}: {exc}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"wrote [checked] ({report.result}) into {path}")
    if report.blocked:
        return EXIT_BLOCKED
    if report.requests <= 1 and not report.articles:
        print(
            f"pingan profile check: nothing could be fetched from {report.fetched_from}",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    return EXIT_OK if report.passed else EXIT_ERRORS


def register(command: AddCommand) -> None:
    """Add ``profile`` and its subcommands."""
    group = command("profile", lambda args: EXIT_USAGE, "draft a site profile, check it live")
    subs = group.add_subparsers(dest="profile_command", required=True)

    draft = subs.add_parser(
        "draft",
        help="draft a profile from a site's homepage (or one section's list page)",
        description="Fetch the homepage, its sections, a few list pages and articles "
        "(politely: robots.txt, the crawl's delays, at most --max-requests), and write a "
        "commented profile. The report of what was found and how sure goes to stderr, or to "
        "stdout with -o.",
    )
    draft.add_argument("url", help="the site's homepage, or one section's list page")
    draft.add_argument("-o", "--output", help="write the profile here (a file or a folder)")
    draft.add_argument("--name", help="the profile's name (default: from the host)")
    draft.add_argument(
        "--sample", type=int, default=3, help="articles to sample per section (default 3)"
    )
    draft.add_argument("--max-requests", type=int, default=60, help="request budget (default 60)")
    draft.set_defaults(func=cmd_draft)

    check = subs.add_parser(
        "check",
        help="crawl a sample of a profile's site and report per section and per field",
        description="A bounded real crawl into a temporary archive. Exit 0 only when every "
        "section lists articles and every sampled article has a title, a publish time and a "
        "body.",
    )
    check.add_argument("profile", help="a profile name or a .toml file")
    check.add_argument("--base-url", default="", help="fetch from here instead (a mirror)")
    check.add_argument("--sample", type=int, default=3, help="articles per section (default 3)")
    check.add_argument(
        "--max-pages", type=int, default=2, help="list pages per section (default 2)"
    )
    check.add_argument("--max-requests", type=int, default=60, help="request budget (default 60)")
    check.add_argument(
        "--record",
        metavar="DIR",
        help="save what was fetched as a fixture folder (routes.json, site/, expected/)",
    )
    check.add_argument(
        "--write", action="store_true", help="record the outcome as [checked] in the profile"
    )
    check.set_defaults(func=cmd_check)
