"""The ``pingan`` command: short functions over the library, one per subcommand."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.sites import ProfileError, load_profile, profile_for_url, profile_names

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SITE = REPO_ROOT / "tests" / "fixtures" / "pasxw"
DEFAULT_DB = "data/pingan.db"


def _default_db() -> str:
    return os.environ.get("PINGAN_DB", DEFAULT_DB)


EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_BLOCKED, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5


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


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _loopback_settings(base_url: str) -> dict:
    """Politeness delays exist for real sites; our own loopback server needs none."""
    assert is_loopback(base_url), base_url
    return {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


def cmd_demo(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    profile = load_profile("pasxw")
    with FixtureServer(args.fixtures) as server:
        print(f"serving the sample of {profile.title} at {server.base_url}", file=sys.stderr)
        overrides = {**_loopback_settings(server.base_url), "LOG_LEVEL": args.log_level}
        job = {"site": "pasxw", "base_url": server.base_url, "full": "1" if args.full else ""}
        stats = run_crawls([job], args.db, overrides)
    print(summary("pasxw", len(profile.sections), stats["pasxw"], args.db))
    return exit_code(stats)


def _log_file(db: str, sites: list[str]) -> Path:
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
    sites = profile_names() if args.all else args.sites
    if not sites:
        print("pingan crawl: name at least one site, or --all", file=sys.stderr)
        return EXIT_USAGE
    try:
        profiles = {site: load_profile(site) for site in sites}
        if args.since:
            parse_since(args.since)
    except (ProfileError, ValueError) as exc:
        print(f"pingan crawl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.base_url and len(sites) > 1:
        print("pingan crawl: --base-url serves one site; name exactly one", file=sys.stderr)
        return EXIT_USAGE
    log_file = _log_file(args.db, sites)
    overrides = {
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": args.log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
    }
    if args.base_url and is_loopback(args.base_url):
        overrides.update(_loopback_settings(args.base_url))
    jobs = crawl_jobs(args, sites)
    try:
        with crawl_locks(args.db, sites) as stale:
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
        print(summary(site, len(profiles[site].sections), stats[site], args.db))
    code = exit_code(stats)
    if code != EXIT_OK:
        print(f"pingan crawl: see {log_file} and `pingan status`", file=sys.stderr)
    return code


def parse_since(text: str):
    parsed = parse_publish_time(text)
    if parsed.value is None:
        raise ValueError(f"--since {text!r} is not a date (use YYYY-MM-DD): {parsed.problem}")
    return parsed.value


def cmd_refresh_views(args: argparse.Namespace) -> int:
    args.all, args.full, args.max_pages, args.since = not args.sites, False, None, None
    args.refresh_views = args.days
    return cmd_crawl(args)


def cmd_status(args: argparse.Namespace) -> int:
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(f"pingan status: no archive at {args.db}", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.db)
    rows = archive.status()
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


def cmd_parse(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        body = path.read_bytes()
    except OSError as exc:
        print(f"pingan parse: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        profile = load_profile(args.site) if args.site else profile_for_url(args.url)
    except ProfileError as exc:
        print(f"pingan parse: {exc}", file=sys.stderr)
        return 2
    article = extract_article(body, args.url, profile, content_type=args.content_type)
    print(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    server = FixtureServer(args.fixtures, port=args.port, delay=args.delay).start()
    print(f"serving {args.fixtures} at {server.base_url} (Ctrl+C to stop)", file=sys.stderr)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pingan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--db",
            default=_default_db(),
            help=f"archive path (default: $PINGAN_DB or {DEFAULT_DB})",
        )
        sub.set_defaults(func=func)
        return sub

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

    command("status", cmd_status, "per site: last run, its outcome, archive size, newest article")

    parse = command("parse", cmd_parse, "print the fields extracted from one saved page as JSON")
    parse.add_argument("file")
    parse.add_argument("--url", required=True, help="the URL the page was fetched from")
    parse.add_argument("--site", help="profile to use (default: the one matching --url)")
    parse.add_argument("--content-type", help="the Content-Type header it was served with")

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


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
    log_file = _log_file(args.db, sites).with_name(f"worker-{stamp}-{os.getpid()}.log")
    overrides = {
        "REDIS_URL": args.redis,
        "MAX_IDLE_TIME_BEFORE_CLOSE": args.max_idle,
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": args.log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
    }
    if args.base_url and is_loopback(args.base_url):
        overrides.update(_loopback_settings(args.base_url))
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


if __name__ == "__main__":
    sys.exit(main())
