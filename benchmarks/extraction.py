"""Per-field accuracy and speed of article extraction: profiles, generic, GNE, trafilatura.

``python -m benchmarks.extraction [--repeat 3]`` runs every fixture article page
(tests/fixtures/<family>/expected/*.json) through (a) the site profile, (b) the generic
extractor (no profile), and, in the same run, GNE and trafilatura when the ``bench`` extra is
installed (``pip install -e '.[bench]'``; each is skipped with a note otherwise). It prints
one table of per-field accuracy and pages/s, then the agreement with the labels of the real
pages in ../shared/realpages (body, date, author) when that corpus is present.

Scoring: a field is right when it equals the expected value, ``None`` included (a value
invented where the page has none is wrong). Bodies count when their normalised similarity is
≥ 0.9. Publish times are compared as instants; a tool that outputs only a day is compared on
the day. ``-`` marks a field the tool does not extract.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from pingan_crawler.fixtureserver import SAMPLE_SITE
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.parsing.decode import decode_html

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REALPAGES = ROOT.parent / "shared" / "realpages"
FIELDS = ("title", "publish_time", "body", "source", "editor", "author", "view_count")
BODY_THRESHOLD = 0.9


@dataclass(frozen=True)
class Page:
    family: str
    url: str
    body: bytes
    content_type: str | None
    expected: dict
    later: tuple[tuple[str, bytes, str | None], ...] = ()  # pages 2… of a multi-page article


Extractor = Callable[[Page], dict]


def fixture_pages() -> list[Page]:
    """Every fixture article page with its expected JSON, all families present."""
    pages = []
    sites = sorted([SAMPLE_SITE, *FIXTURES.iterdir()], key=lambda d: d.name)
    for manifest_path in [d / "routes.json" for d in sites if (d / "routes.json").is_file()]:
        site_dir = manifest_path.parent
        manifest = json.loads(manifest_path.read_text("utf-8"))
        routes = manifest["routes"]
        for expected_path in sorted((site_dir / "expected").glob("*.json")):
            expected = json.loads(expected_path.read_text("utf-8"))
            route = routes.get(expected["path"])
            if route is None:
                print(f"note: {expected_path} names {expected['path']}, which routes.json lacks")
                continue
            later = []
            for path in expected.get("pages", [])[1:]:
                later_route = routes[path]
                later.append(
                    (
                        expected["url"].replace(expected["path"], path),
                        (site_dir / later_route["file"]).read_bytes(),
                        later_route.get("headers", {}).get("Content-Type"),
                    )
                )
            pages.append(
                Page(
                    manifest.get("site", site_dir.name),
                    expected["url"],
                    (site_dir / route["file"]).read_bytes(),
                    route.get("headers", {}).get("Content-Type"),
                    expected,
                    tuple(later),
                )
            )
    return pages


# --- extractors -------------------------------------------------------------------------


def profile_extractor() -> Extractor | None:
    """The profile whose URL pattern matches the page (the fixture families' profiles live in
    tests/profiles/, added to the search path here as the tests do)."""
    import os

    tests_profiles = str(ROOT / "tests" / "profiles")
    paths = os.environ.get("PINGAN_SITES_PATH", "")
    if tests_profiles not in paths.split(os.pathsep):
        os.environ["PINGAN_SITES_PATH"] = os.pathsep.join(p for p in (paths, tests_profiles) if p)
    from pingan_crawler.sites import profile_for_url

    cache: dict = {}

    def run(page: Page) -> dict:
        host = page.url.split("/")[2]
        if host not in cache:
            cache[host] = profile_for_url(page.url)
        profile = cache[host]
        if profile is None:
            return {}
        return extract_article(page.body, page.url, profile, page.content_type).to_json()

    return run


def generic_extractor() -> Extractor:
    def run(page: Page) -> dict:
        return extract_article(page.body, page.url, None, page.content_type).to_json()

    return run


def gne_extractor() -> Extractor | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    gne = GeneralNewsExtractor()

    def run(page: Page) -> dict:
        text = decode_html(page.body, page.content_type).text
        try:
            out = gne.extract(text)
        except Exception as exc:  # GNE raises on pages it cannot read; that is a miss.
            return {"error": str(exc)}
        return {
            "title": out.get("title") or None,
            "publish_time": out.get("publish_time") or None,
            "author": out.get("author") or None,
            "body": out.get("content") or "",
        }

    return run


def trafilatura_extractor() -> Extractor | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(page: Page) -> dict:
        text = decode_html(page.body, page.content_type).text
        doc = trafilatura.bare_extraction(
            text, url=page.url, with_metadata=True, include_comments=False
        )
        doc = (doc.as_dict() if hasattr(doc, "as_dict") else doc) or {}
        return {
            "title": doc.get("title") or None,
            "publish_time": doc.get("date") or None,
            "author": doc.get("author") or None,
            "body": doc.get("text") or "",
        }

    return run


# Which fields each outside tool extracts (the rest print as "-").
TOOL_FIELDS = {
    "profile": FIELDS,
    "generic": FIELDS,
    "gne": ("title", "publish_time", "body", "author"),
    "trafilatura": ("title", "publish_time", "body", "author"),
}


# --- scoring ----------------------------------------------------------------------------


def normalise(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", text)


def similar(a: str | None, b: str | None) -> float:
    a, b = normalise(a), normalise(b)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def same_time(got, want: str | None) -> bool:
    if not want:
        return not got
    if not got:
        return False
    parsed = parse_publish_time(str(got))
    if parsed.value is None:
        return False
    if parsed.precision == "day":
        return parsed.value.date().isoformat() == want[:10]
    return parsed.value.isoformat()[:16] == want[:16] and (
        parsed.precision != "second" or parsed.value.isoformat()[:19] == want[:19]
    )


def field_right(name: str, got: dict, want: dict) -> bool:
    if name == "body":
        return similar(got.get("body"), want.get("body")) >= BODY_THRESHOLD
    if name == "publish_time":
        return same_time(got.get("publish_time"), want.get("publish_time"))
    value = got.get(name)
    value = value.strip() if isinstance(value, str) else value
    return (value or None) == (want.get(name) if want.get(name) != "" else None)


def with_later_pages(extract: Extractor) -> Extractor:
    """Multi-page articles: every tool reads each page; bodies are joined in page order."""

    def run(page: Page) -> dict:
        out = extract(page)
        if not page.later or not out:
            return out
        bodies = [out.get("body") or ""]
        for url, body, content_type in page.later:
            bodies.append(extract(Page(page.family, url, body, content_type, {})).get("body") or "")
        return {**out, "body": "\n".join(b for b in bodies if b)}

    return run


def applicable(name: str, page: Page) -> bool:
    """A view count the page does not print (a JS counter) is not a parser's to find."""
    if name != "view_count":
        return True
    want = page.expected.get("view_count")
    if want is None:
        return True
    text = decode_html(page.body, page.content_type).text
    return re.search(rf"(?<!\d){want}(?!\d)", text) is not None


def run_fixtures(pages: list[Page], tools: dict[str, Extractor], repeat: int) -> dict:
    results = {}
    for name, extract in tools.items():
        extract = with_later_pages(extract)
        outputs = [extract(page) for page in pages]  # warm-up and the scored outputs
        ran = [(out, page) for out, page in zip(outputs, pages, strict=True) if out]
        if not ran:
            results[name] = None
            continue
        started = time.process_time()
        for _ in range(repeat):
            for _out, page in ran:
                extract(page)
        elapsed = time.process_time() - started
        scored = {f: [(o, p) for o, p in ran if applicable(f, p)] for f in TOOL_FIELDS[name]}
        results[name] = {
            "right": {
                f: sum(field_right(f, o, p.expected) for o, p in pairs)
                for f, pairs in scored.items()
            },
            "total": {f: len(pairs) for f, pairs in scored.items()},
            "misses": {
                f: [p.url for o, p in pairs if not field_right(f, o, p.expected)]
                for f, pairs in scored.items()
            },
            "pages": len(ran),
            "pages_per_s": len(ran) * repeat / elapsed if elapsed else 0.0,
        }
    return results


def print_table(title: str, n: int, results: dict, fields: tuple[str, ...]) -> None:
    print(f"\n{title} ({n} pages)")
    header = f"{'field':<14}" + "".join(f"{name:>13}" for name in results)
    print(header)
    print("-" * len(header))
    for f in fields:
        row = f"{f:<14}"
        for result in results.values():
            if result is None or f not in result["right"]:
                row += f"{'-':>13}"
            else:
                total = result["total"][f] or 1
                row += f"{100 * result['right'][f] / total:>12.1f}%"
        print(row)
    row = f"{'pages scored':<14}"
    for result in results.values():
        row += f"{'-':>13}" if result is None else f"{result['pages']:>13}"
    print(row)
    row = f"{'pages/s':<14}"
    for result in results.values():
        row += f"{'-':>13}" if result is None else f"{result['pages_per_s']:>13.0f}"
    print(row)
    baseline = (results.get("gne") or {}).get("pages_per_s")
    if baseline:
        row = f"{'speed ÷ gne':<14}"
        for result in results.values():
            row += f"{'-':>13}" if result is None else f"{result['pages_per_s'] / baseline:>12.1f}x"
        print(row)


# --- realpages --------------------------------------------------------------------------


def real_pages() -> list[tuple[Page, dict]]:
    labels_path = REALPAGES / "labels.jsonl"
    if not labels_path.is_file():
        return []
    pages = []
    for line in labels_path.read_text("utf-8").splitlines():
        label = json.loads(line)
        body = (REALPAGES / label["file"]).read_bytes()
        url = label.get("url") or f"http://realpages.invalid/{label['file']}"
        pages.append((Page("realpages", url, body, None, {}), label))
    return pages


def _label(value) -> str | None:
    value = (value or "").strip()
    return None if value in ("", "UNKNOWN", "UNKNWON") else value


def realpage_agreement(pages: list[tuple[Page, dict]], tools: dict[str, Extractor]) -> dict:
    """Per tool: body/date/author agreement with the dataset's own labels, where labelled."""
    table = {}
    for name, extract in tools.items():
        if name == "profile":
            continue
        counts = {"body": [0, 0], "date": [0, 0], "author": [0, 0]}
        started = time.process_time()
        outputs = [extract(page) for page, _ in pages]
        elapsed = time.process_time() - started
        for out, (_, label) in zip(outputs, pages, strict=True):
            if _label(label.get("body")):
                counts["body"][1] += 1
                counts["body"][0] += similar(out.get("body"), label["body"]) >= BODY_THRESHOLD
            if _label(label.get("date")):
                counts["date"][1] += 1
                counts["date"][0] += _date_agrees(out.get("publish_time"), label["date"])
            if "author" in label:
                counts["author"][1] += 1
                want = _label(label.get("author"))
                counts["author"][0] += (normalise(out.get("author")) or None) == (
                    normalise(want) or None
                )
        table[name] = {"counts": counts, "pages_per_s": len(pages) / elapsed if elapsed else 0}
    return table


def _date_agrees(got, label: str) -> bool:
    """Agreement at the label's precision (labels range from ``1998-3`` to seconds)."""
    if not got:
        return False
    want = re.findall(r"\d+", label)
    have = parse_publish_time(str(got)).value
    if have is None:
        return False
    have_parts = [have.year, have.month, have.day, have.hour, have.minute, have.second]
    return all(int(w) == h for w, h in zip(want, have_parts, strict=False))


def print_realpages(table: dict, n: int) -> None:
    print(f"\nrealpages: agreement with the dataset labels ({n} pages)")
    names = list(table)
    header = f"{'field':<14}" + "".join(f"{name:>15}" for name in names)
    print(header)
    print("-" * len(header))
    for f in ("body", "date", "author"):
        row = f"{f:<14}"
        for name in names:
            right, total = table[name]["counts"][f]
            row += f"{f'{right}/{total}':>15}"
        print(row)
    print(f"{'pages/s':<14}" + "".join(f"{table[n]['pages_per_s']:>15.0f}" for n in names))
    if "gne" in table and table["gne"]["pages_per_s"]:
        base = table["gne"]["pages_per_s"]
        print(
            f"{'speed ÷ gne':<14}"
            + "".join(f"{table[n]['pages_per_s'] / base:>14.1f}x" for n in names)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the pages")
    parser.add_argument("--misses", action="store_true", help="list the URLs each tool got wrong")
    args = parser.parse_args(argv)

    tools: dict[str, Extractor] = {"profile": profile_extractor(), "generic": generic_extractor()}
    for name, make in (("gne", gne_extractor), ("trafilatura", trafilatura_extractor)):
        tool = make()
        if tool is None:
            print(f"note: {name} is not installed (pip install -e '.[bench]'); skipped")
        else:
            tools[name] = tool

    pages = fixture_pages()
    families = sorted({p.family for p in pages})
    print(f"fixture article pages: {len(pages)} from {', '.join(families)}")
    results = run_fixtures(pages, tools, args.repeat)
    if results.get("profile") is None:
        print("note: no profile loaded for these fixtures")
    print_table("fixtures: per-field accuracy", len(pages), results, FIELDS)
    if args.misses:
        for name, result in results.items():
            for f, urls in (result or {}).get("misses", {}).items():
                for url in urls:
                    print(f"miss {name:<12} {f:<13} {url}")

    real = real_pages()
    if real:
        print_realpages(realpage_agreement(real, tools), len(real))
    else:
        print(f"\nnote: {REALPAGES} is absent; real-page agreement skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
