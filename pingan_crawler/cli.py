"""The ``pingan`` command: short functions over the library, one per subcommand."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.sites import ProfileError, load_profile, profile_for_url

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SITE = REPO_ROOT / "tests" / "fixtures" / "pasxw"
DEFAULT_DB = "data/pingan.db"


def _default_db() -> str:
    return os.environ.get("PINGAN_DB", DEFAULT_DB)


def run_crawl(
    site: str,
    db: str,
    base_url: str = "",
    full: bool = False,
    settings_overrides: dict | None = None,
) -> dict:
    """Run one crawl in this process and return its final stats."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from pingan_crawler.spiders.pingan import PinganSpider

    settings = Settings()
    settings.setmodule("pingan_crawler.settings", priority="project")
    settings.set("PINGAN_DB", db, priority="cmdline")
    for key, value in (settings_overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PinganSpider)
    process.crawl(crawler, site=site, base_url=base_url, full="1" if full else "")
    process.start()
    return crawler.stats.get_stats()


def summary(site: str, sections: int, stats: dict, db: str) -> str:
    get = stats.get
    return (
        f"{site}: {sections} sections, {get('downloader/response_count', 0)} pages fetched, "
        f"{get('archive/new', 0)} articles stored, {get('archive/updated', 0)} updated, "
        f"{get('archive/duplicate', 0)} duplicates merged, {get('archive/errors', 0)} errors "
        f"({get('finish_reason', '?')}) → {db}"
    )


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def cmd_demo(args: argparse.Namespace) -> int:
    from pingan_crawler.fixtureserver import FixtureServer

    profile = load_profile("pasxw")
    with FixtureServer(args.fixtures) as server:
        print(f"serving the sample of {profile.title} at {server.base_url}", file=sys.stderr)
        # Politeness delays exist for real sites; our own loopback server needs none.
        stats = run_crawl(
            "pasxw",
            args.db,
            base_url=server.base_url,
            full=args.full,
            settings_overrides=_loopback_settings(server.base_url, args.log_level),
        )
    print(summary("pasxw", len(profile.sections), stats, args.db))
    return 0 if not stats.get("archive/errors") else 1


def _loopback_settings(base_url: str, log_level: str) -> dict:
    assert is_loopback(base_url), base_url
    return {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "LOG_LEVEL": log_level,
    }


def cmd_crawl(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.site)
    except ProfileError as exc:
        print(f"pingan crawl: {exc}", file=sys.stderr)
        return 2
    overrides = {"LOG_LEVEL": args.log_level}
    if args.base_url and is_loopback(args.base_url):
        overrides = _loopback_settings(args.base_url, args.log_level)
    stats = run_crawl(
        args.site, args.db, base_url=args.base_url, full=args.full, settings_overrides=overrides
    )
    print(summary(args.site, len(profile.sections), stats, args.db))
    return 0 if not stats.get("archive/errors") else 1


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

    server = FixtureServer(args.fixtures, port=args.port).start()
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
    demo.add_argument("--log-level", default="WARNING")

    crawl = command("crawl", cmd_crawl, "crawl one site by its profile")
    crawl.add_argument("site", help="profile name, e.g. pasxw (see pingan_crawler/sites/)")
    crawl.add_argument("--base-url", default="", help="serve the site from here instead")
    crawl.add_argument("--full", action="store_true", help="re-fetch articles already archived")
    crawl.add_argument("--log-level", default="WARNING")

    parse = command("parse", cmd_parse, "print the fields extracted from one saved page as JSON")
    parse.add_argument("file")
    parse.add_argument("--url", required=True, help="the URL the page was fetched from")
    parse.add_argument("--site", help="profile to use (default: the one matching --url)")
    parse.add_argument("--content-type", help="the Content-Type header it was served with")

    serve = command("serve", cmd_serve, "serve a sample site on 127.0.0.1 for scrapy crawl")
    serve.add_argument("--fixtures", default=str(SAMPLE_SITE))
    serve.add_argument("--port", type=int, default=8765)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
