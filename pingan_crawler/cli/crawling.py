"""Commands that fetch: demo, crawl, refresh-views, serve, and the distributed worker and writer."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from pingan_crawler.cli.common import (
    EXIT_BLOCKED,
    EXIT_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    SAMPLE_SITE,
    AddCommand,
    is_loopback,
    parse_settings,
    parse_since,
)
from pingan_crawler.sites import (
    ProfileError,
    generic_profile,
    is_profile_path,
    load_profile,
    profile_names,
)


def run_crawls(jobs: list[dict], db: str, settings_overrides: dict | None = None) -> dict:
    """Run one crawl per job (spider arguments) side by side in this process; stats by site."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from pingan_crawler.spiders.pingan import PinganSpider

    settings = Settings()
    settings.setmodule("pingan_crawler.settings", priority="project")
    settings.set("PINGAN_DB", db, priority="cmdline")
    for key, value in (settings_overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for job in jobs:
        crawlers[job["site"]] = crawler = process.create_crawler(PinganSpider)
        process.crawl(crawler, **job)
    process.start()
    return {site: crawler.stats.get_stats() for site, crawler in crawlers.items()}


def summary(site: str, sections: int, stats: dict, db: str) -> str:
    get = stats.get
    return (
        f"{site}: {sections} sections, {get('downloader/response_count', 0)} pages fetched, "
        f"{get('archive/new', 0)} articles stored, {get('archive/updated', 0)} updated, "
        f"{get('archive/duplicate', 0)} duplicates merged, {get('archive/errors', 0)} errors "
        f"({finish_reason(stats)}) → {db}"
    ) + blocked_note(stats)


def blocked_note(stats: dict) -> str:
    """What the summary adds when an anti-bot challenge stopped the site."""
    vendor = stats.get("archive/blocked_by")
    if not vendor:
        return ""
    return (
        f"; BLOCKED by {vendor} at {stats.get('archive/blocked_url', '?')}: site stopped for "
        f"this run (`pingan errors`)"
    )


def finish_reason(stats: dict) -> str:
    reason = stats.get("finish_reason", "?")
    return "interrupted" if reason == "shutdown" else reason


def exit_code(all_stats: dict) -> int:
    """The worst outcome over all sites decides (README, "Exit codes")."""
    codes = [EXIT_OK]
    for stats in all_stats.values():
        if finish_reason(stats) == "interrupted":
            codes.append(EXIT_INTERRUPTED)
        elif stats.get("archive/blocked"):
            codes.append(EXIT_BLOCKED)
        elif stats.get("archive/errors") or finish_reason(stats) != "finished":
            codes.append(EXIT_ERRORS)
    order = [EXIT_OK, EXIT_ERRORS, EXIT_BLOCKED, EXIT_INTERRUPTED]
    return max(codes, key=order.index)


def loopback_settings(base_url: str) -> dict:
    """Politeness delays exist for real sites; our own loopback server needs none."""
    assert is_loopback(base_url), base_url
    return {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


def cmd_demo(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    profile = load_profile("pasxw")
    with FixtureServer(args.fixtures) as server:
        print(f"serving the sample of {profile.title} at {server.base_url}", file=sys.stderr)
        overrides = {**loopback_settings(server.base_url), "LOG_LEVEL": args.log_level}
        job = {"site": "pasxw", "base_url": server.base_url, "full": "1" if args.full else ""}
        stats = run_crawls([job], args.db, overrides)
    print(summary("pasxw", len(profile.sections), stats["pasxw"], args.db))
    return exit_code(stats)


def log_file_for(db: str, sites: list[str]) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = sites[0] if len(sites) == 1 else f"{len(sites)}-sites"
    path = Path(db).resolve().parent / "logs" / f"crawl-{stamp}-{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def crawl_jobs(args: argparse.Namespace, sites: list[str]) -> list[dict]:
    """Spider arguments per site, the same for a local crawl and a distributed worker."""
    return [
        {
            "site": site,
            "base_url": args.base_url,
            "full": "1" if args.full else "",
            "max_pages": str(args.max_pages or ""),
            "since": args.since or "",
            "refresh_views_days": "" if args.refresh_views is None else str(args.refresh_views),
        }
        for site in sites
    ]


def cmd_crawl(args: argparse.Namespace) -> int:
    from pingan_crawler.lock import LockHeld, crawl_locks

    if getattr(args, "redis", None):
        return cmd_crawl_redis(args)
    start_urls = getattr(args, "start_url", None) or []
    sites = profile_names() if args.all else args.sites
    if start_urls and (sites or args.all):
        print(
            "pingan crawl: --start-url crawls a site with no profile; name no site", file=sys.stderr
        )
        return EXIT_USAGE
    if not sites and not start_urls:
        print("pingan crawl: name at least one site, or --all, or --start-url", file=sys.stderr)
        return EXIT_USAGE
    # A profile given by path (a test or draft profile) is passed on as an absolute path.
    sites = [str(Path(s).resolve()) if is_profile_path(s) else s for s in sites]
    try:
        if start_urls:
            generic = generic_profile(start_urls)
            sites, profiles = [generic.name], {generic.name: generic}
            args.base_url = generic.base_url if is_loopback(generic.base_url) else ""
        else:
            profiles = {site: load_profile(site) for site in sites}
        if args.since:
            parse_since(args.since)
        extra_settings = parse_settings(getattr(args, "set", None) or [])
    except (ProfileError, ValueError) as exc:
        print(f"pingan crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.base_url and len(sites) > 1:
        print("pingan crawl: --base-url serves one site; name exactly one", file=sys.stderr)
        return EXIT_USAGE
    log_file = log_file_for(args.db, [profiles[s].name for s in sites])
    overrides = {
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": args.log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
    }
    if args.base_url and is_loopback(args.base_url):
        overrides.update(loopback_settings(args.base_url))
    overrides.update(extra_settings)
    jobs = crawl_jobs(args, sites)
    if start_urls:
        jobs[0].update(start_url=" ".join(start_urls), base_url="")
    try:
        with crawl_locks(args.db, [profiles[s].name for s in sites]) as stale:
            for site, holder in stale.items():
                print(
                    f"pingan crawl: took over the stale lock of {site} from {holder}",
                    file=sys.stderr,
                )
            stats = run_crawls(jobs, args.db, overrides)
    except LockHeld as exc:
        print(f"pingan crawl: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    for site in sites:
        profile = profiles[site]
        print(summary(profile.name, len(profile.sections), stats[site], args.db))
    code = exit_code(stats)
    if code != EXIT_OK:
        print(f"pingan crawl: see {log_file} and `pingan status`", file=sys.stderr)
    return code


def cmd_refresh_views(args: argparse.Namespace) -> int:
    args.all, args.full, args.max_pages, args.since = not args.sites, False, None, None
    args.refresh_views = args.days
    return cmd_crawl(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    server = FixtureServer(args.fixtures, port=args.port, delay=args.delay).start()
    print(f"serving {args.fixtures} at {server.base_url} (Ctrl+C to stop)", file=sys.stderr)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


def cmd_crawl_redis(args: argparse.Namespace) -> int:
    """A distributed worker: shared frontier in Redis, items to Redis, no archive, no flock."""
    sites = profile_names() if args.all else args.sites
    if not sites:
        print("pingan crawl: name at least one site, or --all", file=sys.stderr)
        return EXIT_USAGE
    try:
        from pingan_crawler.distributed import require_redis

        require_redis()
        for site in sites:
            load_profile(site)
        if args.since:
            parse_since(args.since)
    except (ProfileError, ValueError, RuntimeError) as exc:
        print(f"pingan crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from pingan_crawler.distributed import redis_problem
    from pingan_crawler.distributed.worker import worker_summary

    if problem := redis_problem(args.redis):
        print(f"pingan crawl: {problem}", file=sys.stderr)
        return EXIT_ERRORS
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    log_file = log_file_for(args.db, sites).with_name(f"worker-{stamp}-{os.getpid()}.log")
    overrides = {
        "REDIS_URL": args.redis,
        "MAX_IDLE_TIME_BEFORE_CLOSE": args.max_idle,
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": args.log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
    }
    if args.base_url and is_loopback(args.base_url):
        overrides.update(loopback_settings(args.base_url))
    stats = run_crawls(crawl_jobs(args, sites), args.db, overrides)
    for site in sites:
        print(worker_summary(site, stats[site], args.redis))
    code = exit_code(
        {
            site: {**s, "archive/errors": s.get("redis/errors_pushed", 0)}
            for site, s in stats.items()
        }
    )
    if code != EXIT_OK:
        print(f"pingan crawl: see {log_file}", file=sys.stderr)
    return code


def cmd_ingest(args: argparse.Namespace) -> int:
    import signal

    from pingan_crawler.distributed import require_redis

    try:
        require_redis()
    except RuntimeError as exc:
        print(f"pingan ingest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from pingan_crawler.distributed import redis_problem
    from pingan_crawler.distributed.ingest import Ingest, IngestLocked

    if problem := redis_problem(args.redis):
        print(f"pingan ingest: {problem}", file=sys.stderr)
        return EXIT_ERRORS
    ingest = Ingest(args.redis, args.db)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: ingest.stop())
    try:
        report = ingest.run(max_idle=args.max_idle)
    except IngestLocked as exc:
        print(f"pingan ingest: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    print(report.line(args.db))
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_ERRORS if report.unreadable or report.failed else EXIT_OK


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
    demo = command(
        "demo", cmd_demo, "crawl the bundled sample of 平安绍兴新闻网 (served on 127.0.0.1)"
    )
    demo.add_argument("--fixtures", default=str(SAMPLE_SITE), help="sample site directory")
    demo.add_argument("--full", action="store_true", help="re-fetch articles already archived")
    demo.add_argument("--log-level", default="WARNING", help="Scrapy log level on stderr")

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
    crawl.set_defaults(refresh_views=None)

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

    serve = command("serve", cmd_serve, "serve a sample site on 127.0.0.1 for scrapy crawl")
    serve.add_argument("--fixtures", default=str(SAMPLE_SITE))
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--delay", type=float, default=0.0, help="seconds per response")

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
