"""Commands about site profiles and single pages: sites, parse."""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlsplit

from pingan_crawler.cli.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, AddCommand
from pingan_crawler.sites import ProfileError, load_profile, profile_names


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
        print(f"{p.name}\t{p.title}\t{p.family or '-'}\t{p.base_url}\t{checked_text(p)}")
    return EXIT_OK


def checked_text(profile) -> str:
    """``checked`` / ``unchecked``, or the last live check: ``checked live 2026-12-02: pass
    (3 per section, 24 articles)``."""
    record = profile.check
    if record is None:
        return "checked" if profile.checked else "unchecked"
    what = f"{record.sample} per section, {record.articles} articles"
    return f"checked live {record.date}: {record.result} ({what})"


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
    if args.url and not _is_web_url(args.url):
        print(
            f"pingan parse: --url {args.url!r} is not an http(s) URL "
            "(give the address the page was fetched from, e.g. http://www.example.gov.cn/a/1.html)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    code = EXIT_OK
    try:
        for record in parse_files(args.files, args.url, args.site, args.content_type):
            if "error" in record:
                print(f"pingan parse: {record['error']}", file=sys.stderr)
                if not args.jsonl:  # one file: a path that is not there is a usage error
                    return EXIT_ERRORS if record.pop("readable") else EXIT_USAGE
                record.pop("readable")
                code = EXIT_ERRORS
            if args.jsonl:
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                record.pop("file")
                print(json.dumps(record, ensure_ascii=False, indent=2))
    except ProfileError as exc:
        print(f"pingan parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def register(command: AddCommand) -> None:
    """Add this module's subcommands."""
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

    sites = command("sites", cmd_sites, "list the site profiles, or check one")
    sites.add_argument("--check", metavar="NAME", help="validate one profile (a name or a .toml)")
