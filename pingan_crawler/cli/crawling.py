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
    check_archive,
    count_arg,
    parse_settings,
    parse_since,
)
from pingan_crawler.crawl.args import CrawlArgs, RefreshArgs
from pingan_crawler.fixtureserver import SAMPLE_SITE
from pingan_crawler.sites import (
    ProfileError,
    SiteProfile,
    generic_profile,
    load_profile,
    profile_names,
)


def seconds_arg(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


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
    from pingan_crawler.crawl.run import crawl
    from pingan_crawler.lock import LockHeld

    profile = load_profile("pasxw")
    check_archive(args.db, must_exist=False).close()
    with FixtureServer(args.fixtures) as server:
        print(f"serving the sample of {profile.title} at {server.base_url}", file=sys.stderr)
        job = CrawlArgs(profile.with_mirror(server.base_url), full=args.full)
        try:  # its log goes to logs/ beside the archive, like every crawl's
            result = crawl([job], args.db, log_level=args.log_level, progress=True)
        except LockHeld as exc:
            return fail("demo", str(exc), EXIT_LOCKED)
    print(*result.summaries, sep="\n")
    if result.exit_code != EXIT_OK:
        print(f"pingan demo: see {result.log_file}", file=sys.stderr)
    return result.exit_code


def add_demo(command: AddCommand) -> None:
    demo = command(
        "demo", cmd_demo, "crawl the bundled sample of 平安绍兴新闻网 (served on 127.0.0.1)"
    )
    demo.add_argument("--fixtures", default=str(SAMPLE_SITE), help="sample site directory")
    demo.add_argument("--full", action="store_true", help="re-fetch articles already archived")
    demo.add_argument(
        "--log-level", default="INFO", help="level of the log file (logs/ beside --db)"
    )


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
        profiles = [generic_profile(start_urls)]
    else:
        profiles = [load_profile(name) for name in names]
        profiles = [p.with_mirror(args.base_url) for p in profiles] if args.base_url else profiles
    if getattr(args, "fetch_counters", False):
        profiles = [p.with_counters() for p in profiles]
    return profiles


def crawl_jobs(args: argparse.Namespace) -> list[CrawlArgs]:
    """One job per site named, the same for a local crawl and a distributed worker."""
    since = parse_since(args.since) if args.since else None
    return [
        CrawlArgs(profile, full=args.full, max_pages=args.max_pages, since=since)
        for profile in site_profiles(args)
    ]


def stale_lock_taken(site: str, holder: dict) -> None:
    from pingan_crawler.lock import describe_holder

    print(
        f"pingan crawl: took over the stale lock of {site}: {describe_holder(holder)} held it "
        f"and is gone (killed, or its machine restarted)",
        file=sys.stderr,
    )


def run_locally(
    command: str, args: argparse.Namespace, jobs: list, settings: dict | None = None
) -> int:
    """Crawl into the archive (locks, log file), print a summary per site, return the code."""
    from pingan_crawler.crawl.run import crawl
    from pingan_crawler.lock import LockHeld

    check_archive(args.db, must_exist=False).close()  # a bad --db: one line, before anything
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
    crawl.add_argument(
        "--max-pages", type=count_arg(1), help="at most N list pages per section (1 or more)"
    )
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
        "--fetch-counters",
        action="store_true",
        help="fetch each article's view counter script for its count (most add a view per "
        "call; read-only forms are used where a CMS has one); off by default",
    )
    crawl.add_argument(
        "--redis", metavar="URL", help="work as a distributed worker on this Redis (Scaling out)"
    )
    crawl.add_argument(
        "--max-idle",
        type=seconds_arg,
        default=30,
        help="with --redis: exit after this many seconds with nothing to do (default 30)",
    )


def sites_with_articles(db: str) -> list[str]:
    """The profile sites the archive holds articles of (what ``refresh-views`` reads)."""
    with check_archive(db) as archive:
        archived = set(archive.articles.sites())
    return [name for name in profile_names() if name in archived]


def cmd_refresh_views(args: argparse.Namespace) -> int:
    names = args.sites or sites_with_articles(args.db)
    if not names:
        print(
            f"pingan refresh-views: {args.db} holds no articles of a profile site yet: "
            f"nothing to read (crawl first)",
            file=sys.stderr,
        )
        return EXIT_OK
    try:
        profiles = [load_profile(name) for name in names]
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
    refresh.add_argument(
        "sites", nargs="*", help="profile names (default: every site the archive has articles of)"
    )
    refresh.add_argument(
        "--days", type=count_arg(1), default=7, help="articles published in the last N days"
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
    serve.add_argument("--port", type=count_arg(1, 65535), default=8765)
    serve.add_argument("--delay", type=seconds_arg, default=0.0, help="seconds per response")


def cmd_crawl_redis(args: argparse.Namespace) -> int:
    """A distributed worker: shared frontier in Redis, items to Redis, no archive, no flock."""
    from pingan_crawler.crawl.run import work
    from pingan_crawler.distributed.connection import redis_problem, require_redis

    try:
        require_redis()
    except RuntimeError as exc:
        return fail("crawl", str(exc))
    if problem := redis_problem(args.redis):
        return fail("crawl", problem, EXIT_ERRORS)
    try:
        jobs = shared_jobs(args)
    except (ProfileError, ValueError) as exc:
        return fail("crawl", str(exc))
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


def shared_jobs(args: argparse.Namespace) -> list[CrawlArgs]:
    """A worker's jobs: a site with no profile takes its start URLs from the run in Redis
    (given with ``--start-url``, or named by its host once a first worker left them there)."""
    from dataclasses import replace

    from pingan_crawler.distributed.starturls import profile_from_redis, shared_profile

    try:
        jobs = crawl_jobs(args)
    except ProfileError:
        if args.start_url or args.all:
            raise
        found = []
        for name in args.sites:  # a name that is no profile may be a run's host
            try:
                found.append(load_profile(name))
            except ProfileError:
                found.append(profile_from_redis(args.redis, name))
        if args.fetch_counters:
            found = [p.with_counters() for p in found]
        since = parse_since(args.since) if args.since else None
        jobs = [CrawlArgs(p, args.full, args.max_pages, since) for p in found]
    shared = []
    for job in jobs:
        profile, note = shared_profile(args.redis, job.profile)
        if note:
            print(f"pingan crawl: {note}", file=sys.stderr)
        shared.append(replace(job, profile=profile))
    return shared


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
    check_archive(args.db, must_exist=False).close()  # a bad --db: one line, not a traceback
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
        type=seconds_arg,
        default=0,
        help="exit after the queue stayed empty this many seconds (default: run until stopped)",
    )


def register(command: AddCommand) -> None:
    """Add this module's subcommands, each defined beside its handler above."""
    for add in (add_demo, add_crawl, add_refresh_views, add_serve, add_ingest):
        add(command)
