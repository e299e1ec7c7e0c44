"""Commands that fetch: demo, crawl, refresh-views, serve, and the distributed worker and writer.

Argument handling and printing only: the jobs are built here from the options, and
:mod:`pingan_crawler.crawl.run` runs them (locks, log files, settings, summaries, exit codes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingan_crawler.cli.common import (
    EXIT_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    AddCommand,
    parse_settings,
    parse_since,
)
from pingan_crawler.crawl.args import CrawlArgs, RefreshArgs
from pingan_crawler.crawl.run import loopback_settings, run
from pingan_crawler.fixtureserver import SAMPLE_SITE
from pingan_crawler.sites import (
    ProfileError,
    SiteProfile,
    generic_profile,
    load_profile,
    profile_names,
)


def fail(command: str, message: str, code: int = EXIT_USAGE) -> int:
    print(f"pingan {command}: {message}", file=sys.stderr)
    return code


def missing_fixtures(directory: str) -> str | None:
    """Why ``--fixtures`` cannot be served (no routes.json there), or None."""
    if (Path(directory) / "routes.json").is_file():
        return None
    return f"{directory} is no sample site: it has no routes.json (give a fixture directory)"


def cmd_demo(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    if problem := missing_fixtures(args.fixtures):
        return fail("demo", problem)
    profile = load_profile("pasxw")
    with FixtureServer(args.fixtures) as server:
        print(f"serving the sample of {profile.title} at {server.base_url}", file=sys.stderr)
        job = CrawlArgs(profile.with_mirror(server.base_url), full=args.full)
        settings = {**loopback_settings(server.base_url), "LOG_LEVEL": args.log_level}
        result = run([job], args.db, settings)
    print(*result.summaries, sep="\n")
    return result.exit_code


def add_demo(command: AddCommand) -> None:
    demo = command(
        "demo", cmd_demo, "crawl the bundled sample of 平安绍兴新闻网 (served on 127.0.0.1)"
    )
    demo.add_argument("--fixtures", default=str(SAMPLE_SITE), help="sample site directory")
    demo.add_argument("--full", action="store_true", help="re-fetch articles already archived")
    demo.add_argument("--log-level", default="WARNING", help="Scrapy log level on stderr")


def site_profiles(args: argparse.Namespace) -> list[SiteProfile]:
    """The profiles the options name (all of them for --all), mirrored at --base-url.

    Raises ProfileError or ValueError, with a message for the user.
    """
    start_urls = getattr(args, "start_url", None) or []
    names = profile_names() if args.all else args.sites
    if start_urls and (names or args.all):
        raise ValueError("--start-url crawls a site with no profile; name no site")
    if not names and not start_urls:
        raise ValueError("name at least one site, or --all, or --start-url")
    if args.base_url and len(names) > 1:
        raise ValueError("--base-url serves one site; name exactly one")
    if start_urls:
        return [generic_profile(start_urls)]
    profiles = [load_profile(name) for name in names]
    return [p.with_mirror(args.base_url) for p in profiles] if args.base_url else profiles


def crawl_jobs(args: argparse.Namespace) -> list[CrawlArgs]:
    """One job per site named, the same for a local crawl and a distributed worker."""
    since = parse_since(args.since) if args.since else None
    return [
        CrawlArgs(profile, full=args.full, max_pages=args.max_pages, since=since)
        for profile in site_profiles(args)
    ]


def stale_lock_taken(site: str, holder: dict) -> None:
    print(f"pingan crawl: took over the stale lock of {site} from {holder}", file=sys.stderr)


def run_locally(
    command: str, args: argparse.Namespace, jobs: list, settings: dict | None = None
) -> int:
    """Crawl into the archive (locks, log file), print a summary per site, return the code."""
    from pingan_crawler.crawl.run import crawl
    from pingan_crawler.lock import LockHeld

    try:
        result = crawl(
            jobs,
            args.db,
            log_level=args.log_level,
            settings=settings,
            progress=sys.stderr.isatty(),
            on_stale_lock=stale_lock_taken,
        )
    except LockHeld as exc:
        return fail(command, str(exc), EXIT_LOCKED)
    print(*result.summaries, sep="\n")
    if result.exit_code != EXIT_OK:
        print(f"pingan {command}: see {result.log_file} and `pingan status`", file=sys.stderr)
    return result.exit_code


def cmd_crawl(args: argparse.Namespace) -> int:
    if args.redis:
        return cmd_crawl_redis(args)
    try:
        jobs = crawl_jobs(args)
        settings = parse_settings(args.set or [])
    except (ProfileError, ValueError) as exc:
        return fail("crawl", str(exc))
    return run_locally("crawl", args, jobs, settings)


def add_crawl(command: AddCommand) -> None:
    crawl = command("crawl", cmd_crawl, "crawl sites by their profiles (incremental)")
    crawl.add_argument("sites", nargs="*", help="profile names, e.g. pasxw")
    crawl.add_argument("--all", action="store_true", help="every profile in pingan_crawler/sites/")
    crawl.add_argument("--base-url", default="", help="fetch the (one) site from here instead")
    crawl.add_argument(
        "--full",
        action="store_true",
        help="walk every list page and re-fetch archived articles (backfill)",
    )
    crawl.add_argument("--since", help="skip articles listed before this date; stop paging there")
    crawl.add_argument("--max-pages", type=int, help="at most N list pages per section")
    crawl.add_argument("--log-level", default="INFO", help="level of the log file")
    crawl.add_argument(
        "-s",
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override a Scrapy setting, e.g. -s DOWNLOAD_TIMEOUT=10 (repeatable)",
    )
    crawl.add_argument(
        "--start-url",
        action="append",
        metavar="URL",
        help="crawl a site with no profile from this section list page or homepage (repeatable)",
    )
    crawl.add_argument(
        "--redis", metavar="URL", help="work as a distributed worker on this Redis (Scaling out)"
    )
    crawl.add_argument(
        "--max-idle",
        type=float,
        default=30,
        help="with --redis: exit after this many seconds with nothing to do (default 30)",
    )


def cmd_refresh_views(args: argparse.Namespace) -> int:
    try:
        profiles = [load_profile(name) for name in args.sites or profile_names()]
    except ProfileError as exc:
        return fail("refresh-views", str(exc))
    if args.base_url:
        if len(profiles) > 1:
            return fail("refresh-views", "--base-url serves one site; name exactly one")
        profiles = [p.with_mirror(args.base_url) for p in profiles]
    return run_locally("refresh-views", args, [RefreshArgs(p, args.days) for p in profiles])


def add_refresh_views(command: AddCommand) -> None:
    refresh = command(
        "refresh-views",
        cmd_refresh_views,
        "read the view counts of recent articles again (a new row per reading)",
    )
    refresh.add_argument("sites", nargs="*", help="profile names (default: all)")
    refresh.add_argument(
        "--days", type=int, default=7, help="articles published in the last N days"
    )
    refresh.add_argument("--base-url", default="")
    refresh.add_argument("--log-level", default="INFO")


def cmd_serve(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    if problem := missing_fixtures(args.fixtures):
        return fail("serve", problem)
    server = FixtureServer(args.fixtures, port=args.port, delay=args.delay).start()
    print(f"serving {args.fixtures} at {server.base_url} (Ctrl+C to stop)", file=sys.stderr)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


def add_serve(command: AddCommand) -> None:
    serve = command("serve", cmd_serve, "serve a sample site on 127.0.0.1 for scrapy crawl")
    serve.add_argument("--fixtures", default=str(SAMPLE_SITE))
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--delay", type=float, default=0.0, help="seconds per response")


def cmd_crawl_redis(args: argparse.Namespace) -> int:
    """A distributed worker: shared frontier in Redis, items to Redis, no archive, no flock."""
    from pingan_crawler.crawl.run import work
    from pingan_crawler.distributed.connection import redis_problem, require_redis

    if args.start_url:
        return fail("crawl", "--start-url cannot be shared with --redis workers; name a site")
    try:
        require_redis()
        jobs = crawl_jobs(args)
    except (ProfileError, ValueError, RuntimeError) as exc:
        return fail("crawl", str(exc))
    if problem := redis_problem(args.redis):
        return fail("crawl", problem, EXIT_ERRORS)
    result = work(
        jobs,
        args.db,
        args.redis,
        max_idle=args.max_idle,
        log_level=args.log_level,
        progress=sys.stderr.isatty(),
    )
    print(*result.summaries, sep="\n")
    if result.exit_code != EXIT_OK:
        print(f"pingan crawl: see {result.log_file}", file=sys.stderr)
    return result.exit_code


def cmd_ingest(args: argparse.Namespace) -> int:
    import signal

    from pingan_crawler.distributed.connection import redis_problem, require_redis

    try:
        require_redis()
    except RuntimeError as exc:
        return fail("ingest", str(exc))
    from pingan_crawler.distributed.ingest import Ingest, IngestLocked

    if problem := redis_problem(args.redis):
        return fail("ingest", problem, EXIT_ERRORS)
    ingest = Ingest(args.redis, args.db)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: ingest.stop())
    try:
        report = ingest.run(max_idle=args.max_idle)
    except IngestLocked as exc:
        return fail("ingest", str(exc), EXIT_LOCKED)
    print(report.line(args.db))
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ERRORS if report.unreadable or report.failed else EXIT_OK


def add_ingest(command: AddCommand) -> None:
    ingest = command(
        "ingest", cmd_ingest, "write the items distributed workers left in Redis (one writer)"
    )
    ingest.add_argument("--redis", metavar="URL", required=True, help="redis://HOST:PORT/DB")
    ingest.add_argument(
        "--max-idle",
        type=float,
        default=0,
        help="exit after the queue stayed empty this many seconds (default: run until stopped)",
    )


def register(command: AddCommand) -> None:
    """Add this module's subcommands, each defined beside its handler above."""
    for add in (add_demo, add_crawl, add_refresh_views, add_serve, add_ingest):
        add(command)
