"""``pingan profile check``: does a profile still fit its site? A small real crawl says.

The check runs the real spider, middlewares and pipelines (``run_crawls``) into a temporary
archive, so it tests exactly what ``pingan crawl`` would do, bounded: a few list pages per
section (``--max-pages``), a few articles per section spread over those pages (the
``SampleBound`` spider middleware below drops the other article requests), a hard request
budget, one request at a time (so a recorded check replays identically). It then reads the
archive back: per section what was listed and how deep paging went, per field the hit rate,
examples and the pages that missed.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from pingan_crawler.sites.loader import is_profile_path, load_profile, profile_path
from pingan_crawler.sites.profile import ProfileError, SiteProfile

DEFAULT_BUDGET = 60
DEFAULT_PAGES = 2
REQUIRED = ("title", "publish time", "body")
FIELDS = {  # report label → articles column
    "title": "title",
    "publish time": "published_at",
    "body": "body",
    "source": "source",
    "author": "author",
    "editor": "editor",
    "view count": "view_count",
    "images": "images",
}


class SampleBound(BaseSpiderMiddleware):
    """Lets through at most ``PINGAN_CHECK_SAMPLE`` article requests per section, spread over
    its first ``PINGAN_CHECK_PAGES`` list pages (a page that leads nowhere further may use the
    rest), and at most ``PINGAN_CHECK_BUDGET`` requests in all. Later pages of a multi-page
    article and counters always pass (an article without them would be lost), but count."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.sample = settings.getint("PINGAN_CHECK_SAMPLE")
        self.per_page = math.ceil(self.sample / max(1, settings.getint("PINGAN_CHECK_PAGES", 1)))
        self.budget = settings.getint("PINGAN_CHECK_BUDGET")
        self.sent = 1  # robots.txt
        self.taken: dict[str, int] = {}
        self.seen: set[str] = set()

    def get_processed_request(self, request, response):
        self.sent += 1  # a start request (each section's first list page)
        return request

    def process_spider_output(self, response, result, spider=None):
        yield from self._bounded(response, list(result))

    async def process_spider_output_async(self, response, result, spider=None):
        # One response's output at once: whether it asks for a next list page decides how
        # many of its articles may be sampled.
        for item in self._bounded(response, [o async for o in result]):
            yield item

    def _bounded(self, response, output: list):
        spider = self.crawler.spider
        lists = (getattr(spider, "parse_list", None), getattr(spider, "parse_start", None))
        goes_on = any(getattr(o, "callback", None) in lists for o in output)
        here = 0
        for item in output:
            callback = getattr(item, "callback", None)
            if callback is None:  # an item, not a request
                yield item
                continue
            is_article = callback == getattr(spider, "parse_article", None)
            if is_article and "done" not in item.cb_kwargs:
                section = item.cb_kwargs["section"].name
                quota = self.per_page if goes_on else self.sample
                taken = self.taken.get(section, 0)
                if item.url in self.seen or taken >= self.sample or here >= quota:
                    continue  # a URL listed twice is fetched once
                if self.sent >= self.budget:
                    continue
                self.taken[section] = taken + 1
                self.seen.add(item.url)
                here += 1
            elif not is_article and "article" not in item.cb_kwargs and self.sent >= self.budget:
                continue  # a list page past the budget
            self.sent += 1
            yield item


@dataclass
class SectionResult:
    name: str
    listed: int = 0
    list_pages: int = 0
    sampled: int = 0
    end: str = ""  # "end of list" when paging reached the end, else "" (more pages)
    problem: str = ""


@dataclass
class FieldResult:
    label: str
    hits: int = 0
    total: int = 0
    example: str = ""
    missed: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    profile: SiteProfile
    fetched_from: str
    sample: int
    pages: int
    budget: int
    requests: int = 0
    sections: list[SectionResult] = field(default_factory=list)
    fields: list[FieldResult] = field(default_factory=list)
    article_errors: list[str] = field(default_factory=list)
    blocked: str = ""
    finish: str = ""
    articles: int = 0

    @property
    def passed(self) -> bool:
        if self.blocked or not self.sections or not self.articles:
            return False
        if any(s.listed == 0 for s in self.sections) or self.article_errors:
            return False
        return all(f.hits == f.total for f in self.fields if f.label in REQUIRED)

    @property
    def result(self) -> str:
        return "pass" if self.passed else "fail"

    def summary(self) -> str:
        hit = "; ".join(f"{f.label} {f.hits}/{f.total}" for f in self.fields if f.total)
        listing = sum(1 for s in self.sections if s.listed)
        return f"{listing}/{len(self.sections)} sections list articles; {hit}"

    def record(self, today: date | None = None) -> dict:
        """The ``[checked]`` table ``--write`` puts in the profile."""
        return {
            "date": (today or date.today()).isoformat(),
            "result": self.result,
            "sample": self.sample,
            "sections": len(self.sections),
            "articles": self.articles,
            "requests": self.requests,
            "summary": self.summary(),
        }

    def lines(self) -> list[str]:
        p = self.profile
        out = [
            f"{p.name}: checked {self.fetched_from} with up to {self.pages} list pages and "
            f"{self.sample} articles per section: {self.requests} requests "
            f"({self.finish or 'finished'})"
        ]
        if self.blocked:
            out.append(f"BLOCKED: {self.blocked}")
        rows = [("section", "pages", "listed", "sampled", "paging")]
        for s in self.sections:
            paging = s.problem or (s.end if s.end else "more pages")
            rows.append((s.name, str(s.list_pages), str(s.listed), str(s.sampled), paging))
        out += _table(rows)
        rows = [("field", "hits", "example / pages that missed")]
        for f in self.fields:
            detail = f.example
            if f.total and not f.hits:
                detail = "on no sampled page"
            elif f.missed:
                paths = [_path(url) for url in f.missed]
                detail = "missed: " + " ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
            rows.append((f.label, f"{f.hits}/{f.total}", detail))
        out += _table(rows)
        for error in self.article_errors[:5]:
            out.append(f"not an article: {error}")
        verdict = (
            "PASS: every section lists articles; title, publish time and body on every sampled "
            "article"
            if self.passed
            else "FAIL: " + self._why()
        )
        out.append(verdict)
        return out

    def _why(self) -> str:
        if self.blocked:
            return "the site blocked the check"
        reasons = [f"{s.name} lists no articles" for s in self.sections if s.listed == 0]
        reasons += [
            f"{f.label} missed on {f.total - f.hits}"
            for f in self.fields
            if f.label in REQUIRED and f.hits < f.total
        ]
        if self.article_errors:
            reasons.append(f"{len(self.article_errors)} sampled pages were no articles")
        if not self.articles and not reasons:
            reasons.append("no article could be sampled")
        return "; ".join(reasons) or "nothing checked"


def plan(sections: int, sample: int, pages: int, budget: int) -> tuple[int, int]:
    """(list pages, articles) per section that fit the budget: fewer articles first, then one
    list page, never less than one of each."""
    sections = max(1, sections)
    while sample > 1 and 1 + sections * (pages + sample) > budget:
        sample -= 1
    while pages > 1 and 1 + sections * (pages + sample) > budget:
        pages -= 1
    return pages, sample


def resolve(ref: str) -> tuple[SiteProfile, Path]:
    """The profile and its file, by name or path."""
    profile = load_profile(ref)
    path = Path(ref) if is_profile_path(ref) else profile_path(ref)
    if path is None:
        raise ProfileError(f"no site profile {ref!r}")
    return profile, path.resolve()


def run_check(
    ref: str,
    base_url: str = "",
    sample: int = 3,
    pages: int = DEFAULT_PAGES,
    budget: int = DEFAULT_BUDGET,
    record_dir: Path | None = None,
) -> CheckReport:
    from pingan_crawler.crawl.run import is_loopback, loopback_settings, run_crawls
    from pingan_crawler.settings import DOWNLOADER_MIDDLEWARES

    profile, path = resolve(ref)
    fetched_from = (base_url or profile.base_url).rstrip("/")
    pages, sample = plan(len(profile.sections), sample, pages, budget)
    with tempfile.TemporaryDirectory(prefix="pingan-check-") as tmp:
        db = Path(tmp) / "check.db"
        overrides = {
            "LOG_FILE": str(Path(tmp) / "check.log"),
            "LOG_LEVEL": "INFO",
            "PINGAN_PROGRESS_INTERVAL": 2.0 if sys.stderr.isatty() else 0,
            "SPIDER_MIDDLEWARES": {"pingan_crawler.sites.check.SampleBound": 950},
            "PINGAN_CHECK_SAMPLE": sample,
            "PINGAN_CHECK_PAGES": pages,
            "PINGAN_CHECK_BUDGET": budget,
        }
        if is_loopback(fetched_from):
            overrides.update(loopback_settings(fetched_from))
        # One request at a time: polite, and a recorded check replays request for request.
        overrides.update(CONCURRENT_REQUESTS=1, CONCURRENT_REQUESTS_PER_DOMAIN=1)
        if record_dir is not None:
            record_dir.mkdir(parents=True, exist_ok=True)
            overrides["DOWNLOADER_MIDDLEWARES"] = {
                **DOWNLOADER_MIDDLEWARES,
                "pingan_crawler.sites.record.Recorder": 580,  # after decompression (590)
            }
            overrides["PINGAN_RECORD_DIR"] = str(record_dir)
        job = {
            "site": str(path),
            "base_url": base_url,
            "full": "1",
            "max_pages": str(pages),
        }
        stats = run_crawls([job], str(db), overrides)[str(path)]
        report = read_report(db, profile, fetched_from, sample, pages, budget, stats)
        if record_dir is not None:
            from pingan_crawler.sites.record import write_fixture

            manifest = {
                "site": profile.name,
                "base_url": profile.base_url,
                "recorded": {
                    "by": "pingan profile check --record",
                    "date": date.today().isoformat(),
                    "fetched_from": fetched_from,
                    "sample": sample,
                    "max_pages": pages,
                    "budget": budget,
                    "requests": report.requests,
                    "result": report.result,
                },
                "sections": [
                    {"name": s.name, "listed": s.listed, "list_pages": s.list_pages}
                    for s in report.sections
                ],
            }
            write_fixture(record_dir, db, path, manifest, profile.base_url)
    return report


def read_report(db, profile, fetched_from, sample, pages, budget, stats) -> CheckReport:
    report = CheckReport(profile, fetched_from, sample, pages, budget)
    report.requests = stats.get("downloader/request_count", 0)
    report.finish = stats.get("finish_reason", "")
    if stats.get("archive/blocked_by"):
        report.blocked = f"{stats['archive/blocked_by']} at {stats.get('archive/blocked_url', '?')}"
    if not db.exists():
        return report
    with sqlite3.connect(db) as conn:
        listings = conn.execute(
            "SELECT section, article_url, list_url FROM listings ORDER BY first_seen"
        ).fetchall()
        walks = dict(conn.execute("SELECT section, reason FROM section_walks").fetchall())
        errors = conn.execute("SELECT url, kind, detail FROM errors").fetchall()
        columns = ", ".join(FIELDS.values())
        articles = conn.execute(f"SELECT url, {columns} FROM articles ORDER BY url").fetchall()
        stored_in = dict(conn.execute("SELECT url, section FROM articles").fetchall())
    section_of: dict[str, str] = {}
    for section, url, _ in listings:
        section_of.setdefault(url, section)
    names = [s.name for s in profile.sections if profile.pagination.style != "discover"]
    for section, _, _ in listings:
        if section not in names:
            names.append(section)
    if profile.pagination.style == "discover" and not names:
        names = [s.name for s in profile.sections]
    list_errors = {url: f"{kind}: {detail}" for url, kind, detail in errors}
    for name in names:
        mine = [row for row in listings if row[0] == name]
        result = SectionResult(name)
        result.listed = len({url for _, url, _ in mine})
        result.list_pages = len({list_url for _, _, list_url in mine})
        # The stored section: the breadcrumb's, else the list's that asked for the article.
        result.sampled = sum(1 for row in articles if stored_in.get(row[0]) == name)
        result.sampled += sum(1 for url, *_ in errors if section_of.get(url) == name)
        result.end = walks.get(name, "")
        if not mine:
            section = profile.section_named(name)
            first = profile.list_page_url(section, profile.first_page) if section else ""
            first = profile.to_mirror(first) if first else ""
            problem = list_errors.get(profile.to_public(first)) or list_errors.get(first)
            result.problem = (problem or "lists no articles")[:120]
        report.sections.append(result)
    listed = set(section_of)
    report.article_errors = [
        f"{url} ({kind}: {detail[:80]})" for url, kind, detail in errors if url in listed
    ]
    report.articles = len(articles)
    counted = profile.views.mode == "static" or profile.views.fetch_counter
    for index, (label, _column) in enumerate(FIELDS.items(), start=1):
        if label == "view count" and not counted:
            continue
        result = FieldResult(label, total=len(articles) + len(report.article_errors))
        for row in articles:
            value = row[index]
            if label == "images":
                value = json.loads(value or "[]")
            if value not in (None, "", []):
                result.hits += 1
                if not result.example:
                    result.example = _example(value)
            else:
                result.missed.append(row[0])
        result.missed += [e.split(" ", 1)[0] for e in report.article_errors]
        report.fields.append(result)
    return report


def _path(url: str) -> str:
    from pingan_crawler.sites.urlshapes import path_of

    return path_of(url)


def _example(value) -> str:
    if isinstance(value, list):
        return f"{len(value)}: {value[0]}"[:60]
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:38] + f"… ({len(text)} chars)"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:-1])]
        out.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    return out
