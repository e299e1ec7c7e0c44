"""The ``pingan`` command: short functions over the library, one per subcommand."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.sites import (
    ProfileError,
    generic_profile,
    is_profile_path,
    load_profile,
    profile_names,
)

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
    log_file = _log_file(args.db, [profiles[s].name for s in sites])
    overrides = {
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": args.log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
    }
    if args.base_url and is_loopback(args.base_url):
        overrides.update(_loopback_settings(args.base_url))
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


def parse_since(text: str):
    parsed = parse_publish_time(text)
    if parsed.value is None:
        raise ValueError(f"--since {text!r} is not a date (use YYYY-MM-DD): {parsed.problem}")
    return parsed.value


def parse_settings(pairs: list[str]) -> dict:
    """``-s NAME=VALUE`` pairs, as ``scrapy crawl -s`` takes them."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isupper():
            raise ValueError(f"-s {pair!r}: use NAME=VALUE with a Scrapy setting name")
        settings[name] = value
    return settings


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
    from pingan_crawler.pages import parse_files

    if len(args.files) > 1 and not args.jsonl:
        print(
            "pingan parse: several files need --jsonl (one JSON object per line)", file=sys.stderr
        )
        return EXIT_USAGE
    if len(args.files) > 1 and args.url:
        print("pingan parse: --url names one page; give one file with it", file=sys.stderr)
        return EXIT_USAGE
    if not args.jsonl and not args.url:
        print("pingan parse: give --url (the URL the page was fetched from)", file=sys.stderr)
        return EXIT_USAGE
    code = EXIT_OK
    try:
        for record in parse_files(args.files, args.url, args.site, args.content_type):
            if "error" in record:
                print(f"pingan parse: {record['error']}", file=sys.stderr)
                code = EXIT_USAGE if not args.jsonl else EXIT_ERRORS
                if not args.jsonl:
                    return code
            if args.jsonl:
                print(json.dumps(record, ensure_ascii=False))
            else:
                record.pop("file")
                print(json.dumps(record, ensure_ascii=False, indent=2))
    except ProfileError as exc:
        print(f"pingan parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    server = FixtureServer(args.fixtures, port=args.port, delay=args.delay).start()
    print(f"serving {args.fixtures} at {server.base_url} (Ctrl+C to stop)", file=sys.stderr)
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()
    return 0


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
        totals = archive.compact()
        if args.vacuum:
            archive.db.execute("VACUUM")
    finally:
        archive.close()
    saved = totals["bytes_before"] - totals["bytes_after"]
    hint = "" if args.vacuum else " (run with --vacuum to shrink the file)"
    print(
        f"{args.db}: repacked {totals['bodies']} snapshot bodies with their site's dictionary, "
        f"{saved / 1e6:.1f} MB smaller{hint}"
    )
    return EXIT_OK


# -- analyst access: the substance lives in pingan_crawler/analysis/ ---------------------------
def _open_archive(args: argparse.Namespace, name: str):
    """The archive at --db, or None (with a message) when there is none."""
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(
            f"pingan {name}: no archive at {args.db} (crawl first, or give --db)", file=sys.stderr
        )
        return None
    return Archive(args.db)


def _silence_stdout() -> None:
    """After a closed pipe, send what Python still flushes at exit to /dev/null."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _filters(args: argparse.Namespace):
    from pingan_crawler.analysis.filters import Filters

    return Filters.parse(
        getattr(args, "site", None),
        getattr(args, "section", None),
        getattr(args, "since", None),
        getattr(args, "until", None),
    )


def cmd_search(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.search import print_hits

    archive = _open_archive(args, "search")
    if archive is None:
        return EXIT_USAGE
    try:
        hits = archive.search(
            args.query,
            site=args.site,
            section=args.section,
            since=args.since,
            until=args.until,
            limit=args.limit,
            order=args.order,
        )
    except QueryError as exc:
        print(f"pingan search: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    try:
        print_hits(hits, args.format, sys.stdout)
    except BrokenPipeError:  # `pingan search … | head`
        _silence_stdout()
        return EXIT_OK
    if not hits:
        print(f"pingan search: no article contains {args.query!r}", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.export import ProgressBar, export
    from pingan_crawler.analysis.filters import QueryError

    archive = _open_archive(args, "export")
    if archive is None:
        return EXIT_USAGE
    progress = ProgressBar() if sys.stderr.isatty() else None
    try:
        filters = _filters(args)
        if args.output and args.output != "-":
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                count = export(
                    archive.db.conn,
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
                archive.db.conn,
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
        _silence_stdout()
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

    archive = _open_archive(args, "reparse")
    if archive is None:
        return EXIT_USAGE
    try:
        report = reparse(archive, _filters(args), dry_run=args.dry_run)
    except QueryError as exc:
        print(f"pingan reparse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        archive.close()
    for problem in report.problems:
        print(f"pingan reparse: {problem}", file=sys.stderr)
    verb = "would change" if args.dry_run else "changed"
    print(
        f"reparsed {report.articles} articles from their snapshots: {report.changed} {verb}, "
        f"{len(report.problems)} problems"
    )
    for name, count in sorted(report.fields.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {name}: {count}")
    return EXIT_ERRORS if report.problems else EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.verify import verify

    archive = _open_archive(args, "verify")
    if archive is None:
        return EXIT_USAGE
    try:
        report = verify(archive.db.conn)
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


def cmd_warc(args: argparse.Namespace) -> int:
    from pingan_crawler.analysis.filters import QueryError
    from pingan_crawler.analysis.warc import write_warc

    archive = _open_archive(args, "warc")
    if archive is None:
        return EXIT_USAGE
    try:
        filters = _filters(args)
        with open(args.out, "wb") as out:
            report = write_warc(archive.db.conn, out, filters, source=str(args.db))
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
    archive = _open_archive(args, "explore")
    if archive is None:
        return EXIT_USAGE
    archive.close()  # opened once so the schema (search index, views) is current
    if args.metadata_out:
        text = json.dumps(metadata(args.db), ensure_ascii=False, indent=2)
        Path(args.metadata_out).write_text(text, "utf-8")
    print(f"pingan explore: http://{args.host}:{args.port}/ (Ctrl+C to stop)", file=sys.stderr)
    serve(args.db, args.host, args.port)
    return EXIT_OK


def cmd_sites(args: argparse.Namespace) -> int:
    from pingan_crawler.sites import check_profile, load_profile_file

    if args.check:
        try:
            is_file = args.check.endswith(".toml")
            profile = load_profile_file(args.check) if is_file else load_profile(args.check)
            lines = check_profile(profile)
        except ProfileError as exc:
            print(f"pingan sites: {exc}", file=sys.stderr)
            return EXIT_ERRORS
        print(f"{profile.name}: ok ({profile.family or 'no family'}, {len(lines)} sections)")
        print("\n".join(lines))
        return EXIT_OK
    for name in profile_names():
        try:
            p = load_profile(name)
        except ProfileError as exc:
            print(f"{name}\tINVALID: {exc}")
            continue
        checked = "checked" if p.checked else "unchecked"
        print(f"{p.name}\t{p.title}\t{p.family or '-'}\t{p.base_url}\t{checked}")
    return EXIT_OK


def cmd_reposts(args: argparse.Namespace) -> int:
    from pingan_crawler.repost_report import format_json, format_table
    from pingan_crawler.storage import Archive

    if not Path(args.db).exists():
        print(f"pingan reposts: no archive at {args.db}", file=sys.stderr)
        return EXIT_USAGE
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(f"pingan reposts: {exc}", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.db)
    try:
        counts = archive.rebuild_reposts() if args.rebuild else archive.repost_summary()
        clusters = archive.repost_clusters(site=args.site, since=since)
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

    command("status", cmd_status, "per site: last run, its outcome, archive size, newest article")

    parse = command("parse", cmd_parse, "print the fields extracted from saved pages as JSON")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--url", help="the URL the (one) page was fetched from")
    parse.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object per line, with `file`; a page's URL is the one it names, if any",
    )
    parse.add_argument("--site", help="profile to use (default: the one matching --url)")
    parse.add_argument("--content-type", help="the Content-Type header it was served with")

    serve = command("serve", cmd_serve, "serve a sample site on 127.0.0.1 for scrapy crawl")
    serve.add_argument("--fixtures", default=str(SAMPLE_SITE))
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--delay", type=float, default=0.0, help="seconds per response")
    errors = command("errors", cmd_errors, "a run's errors grouped by kind (default: last run)")
    errors.add_argument("--crawl", type=int, help="crawl id (see `pingan status`)")
    errors.add_argument("--examples", type=int, default=3, help="URLs shown per kind")

    compact = command(
        "compact", cmd_compact, "repack early snapshots with their site's zstd dictionary"
    )
    compact.add_argument("--vacuum", action="store_true", help="then VACUUM to shrink the file")

    def filtered(sub: argparse.ArgumentParser, section: bool = True) -> None:
        sub.add_argument("--site", help="only this site (profile name)")
        if section:
            sub.add_argument("--section", help="only this section (栏目 name)")
        sub.add_argument("--since", help="published on or after this date (YYYY-MM-DD)")
        sub.add_argument("--until", help="published on or before this date (YYYY-MM-DD)")

    search = command("search", cmd_search, "full-text search of titles and bodies, best first")
    search.add_argument("query", help="text to find; spaces separate terms that must all occur")
    filtered(search)
    search.add_argument("--limit", type=int, default=20, help="at most N results (default 20)")
    search.add_argument("--format", choices=("table", "json", "csv"), default="table")
    search.add_argument(
        "--order",
        choices=("relevance", "recent"),
        default="relevance",
        help="relevance (bm25; default) or recent (most recently archived first, faster)",
    )

    export = command("export", cmd_export, "write articles as CSV or JSONL (streaming)")
    export.add_argument("--format", choices=("csv", "jsonl"), required=True)
    filtered(export)
    export.add_argument("--fields", help="comma-separated columns (default: all but body_html)")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.add_argument(
        "--no-bom", action="store_true", help="CSV without the byte-order mark Excel needs"
    )

    reparse = command(
        "reparse", cmd_reparse, "re-extract articles from their stored snapshots (no network)"
    )
    filtered(reparse, section=False)
    reparse.add_argument(
        "--dry-run", action="store_true", help="count what would change, write nothing"
    )

    command("verify", cmd_verify, "recompute every stored body's sha256; check the database")

    warc = command("warc", cmd_warc, "write the stored pages as a WARC 1.1 file")
    warc.add_argument("out", help="output file, e.g. archive.warc.gz")
    warc.add_argument("--site", help="only this site's pages")
    warc.add_argument("--since", help="pages fetched on or after this date")
    warc.add_argument("--until", help="pages fetched on or before this date")

    explore = command("explore", cmd_explore, "browse the archive in Datasette (read-only)")
    explore.add_argument("--host", default="127.0.0.1")
    explore.add_argument("--port", type=int, default=8001)
    explore.add_argument("--metadata-out", help="also save the Datasette metadata here")
    sites = command("sites", cmd_sites, "list the site profiles, or check one")
    sites.add_argument("--check", metavar="NAME", help="validate one profile (a name or a .toml)")

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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, where it can be caught
        return code
    except BrokenPipeError:  # `pingan sites | head`: the reader has seen enough
        _silence_stdout()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
