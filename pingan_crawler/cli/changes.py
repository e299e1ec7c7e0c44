"""Takedowns and edits: ``pingan recheck`` looks at archived articles again, ``pingan changes``
lists what it (or a ``--full`` crawl) found. docs/takedowns.md is the manual."""

from __future__ import annotations

import argparse
import sys

from pingan_crawler.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    AddCommand,
    open_archive,
    parse_settings,
    parse_since,
    silence_stdout,
)
from pingan_crawler.crawl.args import RecheckArgs, parse_age, recheck_profile
from pingan_crawler.sites import ProfileError


def fail(command: str, message: str, code: int = EXIT_USAGE) -> int:
    print(f"pingan {command}: {message}", file=sys.stderr)
    return code


def recheck_jobs(
    args: argparse.Namespace, archived: dict[str, str], mirrors: dict[str, str] | None = None
) -> list[RecheckArgs]:
    """One job per site named (default: every site with archived articles).

    ``archived`` maps each archived site to one of its article URLs; ``mirrors`` each site to
    where its latest run fetched it from (used when no --base-url is given). Raises
    ProfileError or ValueError with a message for the user.
    """
    sites = args.sites or sorted(archived)
    if not sites:
        raise ValueError("the archive holds no article to recheck (crawl first)")
    unknown = [site for site in sites if site not in archived]
    if unknown:
        names = ", ".join(sorted(archived)) or "none"
        raise ValueError(f"no archived article of {', '.join(unknown)} (archived sites: {names})")
    if args.base_url and len(sites) > 1:
        raise ValueError("--base-url serves one site; name exactly one")
    mirrors = mirrors or {}
    since = parse_since(args.since) if args.since else None
    older_than = parse_age(args.older_than) if args.older_than else None
    if args.max is not None and args.max < 0:
        raise ValueError(f"--max {args.max}: give 0 or more articles")
    return [
        RecheckArgs(
            recheck_profile(
                site,
                mirrors.get(site, "") if args.base_url is None else args.base_url,
                archived[site],
            ),
            every=args.all,
            since=since,
            older_than=older_than,
            max_articles=args.max,
        )
        for site in sites
    ]


def cmd_recheck(args: argparse.Namespace) -> int:
    from pingan_crawler.cli.crawling import run_locally

    archive = open_archive(args, "recheck")
    if archive is None:
        return EXIT_USAGE
    try:
        archived = archive.articles.sample_urls()
        mirrors = {site: archive.crawls.last_mirror(site) for site in archived}
    finally:
        archive.close()
    try:
        jobs = recheck_jobs(args, archived, mirrors)
        settings = parse_settings(args.set or [])
    except (ProfileError, ValueError) as exc:
        return fail("recheck", str(exc))
    for job in jobs:
        if args.base_url is None and job.profile.mirror_url:
            print(
                f"pingan recheck: fetching {job.site} from {job.profile.mirror_url}, as its last "
                "run did (--base-url URL to fetch elsewhere, --base-url '' for the site itself)",
                file=sys.stderr,
            )
    return run_locally("recheck", args, jobs, settings)


def add_recheck(command: AddCommand) -> None:
    recheck = command(
        "recheck",
        cmd_recheck,
        "look at archived articles again: find edits, takedowns and restores (politely)",
    )
    recheck.add_argument("sites", nargs="*", help="sites (default: every site in the archive)")
    due = recheck.add_mutually_exclusive_group()
    due.add_argument(
        "--all", action="store_true", help="recheck every archived article now, due or not"
    )
    due.add_argument(
        "--older-than",
        metavar="AGE",
        help="recheck what was last checked longer ago than AGE (7d, 12h, 2w), whatever the "
        "schedule says",
    )
    recheck.add_argument("--since", help="only articles published on or after this date")
    recheck.add_argument(
        "--max", type=int, metavar="N", help="at most N articles per site, the most overdue first"
    )
    recheck.add_argument(
        "--base-url",
        default=None,
        help="fetch the (one) site from here (default: where its last run fetched it from)",
    )
    recheck.add_argument("--log-level", default="INFO", help="level of the log file")
    recheck.add_argument(
        "-s",
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a Scrapy setting, e.g. -s PINGAN_RECHECK_SCHEDULE=7d:1d,*:7d",
    )


def cmd_changes(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.changes import observed_changes, print_changes
    from pingan_crawler.analysis.filters import QueryError

    archive = open_archive(args, "changes")
    if archive is None:
        return EXIT_USAGE
    try:
        rows = observed_changes(archive, args.site, args.since, args.until, args.kind)
        count = print_changes(rows, args.format, sys.stdout)
    except QueryError as exc:
        return fail("changes", str(exc))
    except BrokenPipeError:  # `pingan changes | head`
        silence_stdout()
        return EXIT_OK
    finally:
        archive.close()
    if not count:
        print("pingan changes: no change observed (run `pingan recheck`)", file=sys.stderr)
    return EXIT_OK


def add_changes(command: AddCommand) -> None:
    changes = command(
        "changes", cmd_changes, "list observed edits, takedowns and restores, oldest first"
    )
    changes.add_argument("--site", help="only this site")
    changes.add_argument("--since", help="observed on or after this date (YYYY-MM-DD)")
    changes.add_argument("--until", help="observed on or before this date (YYYY-MM-DD)")
    changes.add_argument("--kind", choices=("removed", "edited", "restored"))
    changes.add_argument("--format", choices=("table", "json", "csv"), default="table")


def register(command: AddCommand) -> None:
    """Add ``recheck`` and ``changes``."""
    add_recheck(command)
    add_changes(command)
