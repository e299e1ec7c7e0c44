"""Draft a site profile from a homepage (or one section's list page), politely.

The drafter knows CMS fingerprints (``fingerprints.py``) and what the pages show; it never
reads a profile or a family base file. In order:

1. the homepage: its nav bar and "更多" links are the candidate sections;
2. each candidate's list page: kept when it lists articles (the discover heuristics' main
   block), with the page its pager names next; page 2 of a few sections is fetched to see the
   page number move and new articles appear (Hanweb: one dataproxy POST instead);
3. the article URL regex, generalised from every article link the lists showed;
4. a few articles per section, spread over the pages seen: charset, view counter, and the
   per-field selectors that beat the generic extractor (``fieldpick.py``);
5. the profile, checked in memory against every page fetched before it is written.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urljoin, urlsplit

from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.discover import discover_list_page, discover_sections
from pingan_crawler.parsing.html import clean_line, parse_html
from pingan_crawler.parsing.listing import datastore_records, is_homepage, page_links, trs_pager
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.sniff import binary_type, soft_404_reason
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites.fetch import BudgetSpent, Challenged, FetchError, Page, PoliteFetcher
from pingan_crawler.sites.fieldpick import Choice, FieldPicker, Sample
from pingan_crawler.sites.fingerprints import FamilyGuess, counter_kind, recognise
from pingan_crawler.sites.listplan import ListPlan, SectionPages, hanweb_params, plan_lists
from pingan_crawler.sites.profile import Pagination, Section, Selectors, SiteProfile, Views
from pingan_crawler.sites.urlshapes import ArticlePattern, escape, generalise_article_urls, path_of

DEFAULT_BUDGET = 60
PAGE2_SECTIONS = 3  # sections whose page 2 is fetched to see the paging work
_MORE = re.compile(
    r"^[\s【\[(（]*(更多|more|查看更多|更多内容|更多>+|more>+|>>|»)[\s>》»】\])）+]*$", re.I
)
_SRC = re.compile(r"<(script|iframe)\b[^>]*?\bsrc\s*=\s*['\"]?([^'\" >]+)", re.I)
_GBK = {"gb18030", "gbk", "gb2312"}


class DraftError(Exception):
    """Drafting cannot go on; ``kind`` picks the exit code (see cli/profile.py)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class Fetched:
    """A fetched HTML page, decoded."""

    page: Page
    text: str
    charset: str
    header_charset: str | None
    meta_charset: str | None
    root: object
    declared: str = ""  # as the page says it (gb2312), before widening to gb18030


@dataclass
class SectionFind:
    name: str
    url: str
    page1: Fetched | None = None
    links: list[Link] = field(default_factory=list)  # article links on the pages fetched
    headlines: dict[str, Link] = field(default_factory=dict)  # url → link text/title, date
    pages: SectionPages | None = None
    problem: str = ""
    page2_new: int | None = None  # new article links page 2 showed (None: not fetched)
    page2_from: list[Link] = field(default_factory=list)


@dataclass
class Draft:
    """The drafted profile (TOML text) and the report of what was found and how sure."""

    name: str
    toml: str
    report: list[str]
    requests: int
    profile: SiteProfile  # as drafted, without its family base


def draft_profile(
    url: str,
    fetcher: PoliteFetcher | None = None,
    name: str = "",
    sample: int = 3,
    today: date | None = None,
) -> Draft:
    """Draft a profile for the site at ``url`` (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DraftError("usage", f"{url!r} is not an http(s) URL")
    fetcher = fetcher or PoliteFetcher(budget=DEFAULT_BUDGET)
    try:
        return _Drafter(url, fetcher, name, sample, today or date.today()).run()
    finally:
        fetcher.done()


class _Drafter:
    def __init__(self, url: str, fetcher: PoliteFetcher, name: str, sample: int, today: date):
        self.url = url
        self.fetcher = fetcher
        self.sample = max(1, sample)
        self.today = today
        parts = urlsplit(url)
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.name = name or site_name(parts.hostname or "site", parts.port)
        self.fetched: list[Fetched] = []
        self.report: list[str] = []
        self.left_out: list[str] = []

    # --- fetching ---------------------------------------------------------------------

    def fetch_html(self, url: str, form: dict | None = None) -> Fetched:
        page = self.fetcher.get(url, form)
        if not page.ok:
            raise FetchError(f"{url}: HTTP {page.status}")
        kind = binary_type(page.body)
        if kind or _not_html(page):
            what = kind or page.content_type or "no Content-Type"
            raise DraftError("not_html", f"{url}: not an HTML page ({what})")
        decoded = decode_html(page.body, page.content_type)
        root = parse_html(decoded.text)
        if root is None:
            raise DraftError("not_html", f"{url}: an empty page")
        said = _declared_charset(page)
        fetched = Fetched(
            page,
            decoded.text,
            decoded.charset,
            decoded.declared_header,
            decoded.declared_meta,
            root,
            (said or "none").lower(),
        )
        self.fetched.append(fetched)
        return fetched

    # --- the steps ----------------------------------------------------------------------

    def run(self) -> Draft:
        try:
            home = self.fetch_html(self.url)
        except Challenged as exc:
            raise DraftError("blocked", str(exc)) from exc
        except DraftError:
            raise
        except FetchError as exc:
            raise DraftError(getattr(exc, "kind", "unreachable"), str(exc)) from exc
        final = urlsplit(home.page.final_url)
        if final.netloc and f"{final.scheme}://{final.netloc}" != self.base_url:
            # x.gov.cn → www.x.gov.cn: the site's own spelling is its base.
            self.base_url = f"{final.scheme}://{final.netloc}"
            self.report.append(f"note: {self.url} redirects to {home.page.final_url}")
        try:
            sections = self.find_sections(home)
            plan = self.plan(sections)
            pattern = self.article_pattern(sections, plan)
            samples = self.sample_articles(sections)
        except Challenged as exc:
            raise DraftError("blocked", str(exc)) from exc
        return self.finish(home, sections, plan, pattern, samples)

    def find_sections(self, home: Fetched) -> list[SectionFind]:
        given_list = not is_homepage(self.url) and _looks_like_list(home, self.url)
        candidates = self.candidates(home)
        if given_list:
            # One section's list page: that section only (its nav names it, if it can).
            page = home.page
            here = canonical_url(self.url)
            named = [
                link.text
                for link in page_links(page.body, page.final_url, page.content_type)
                if link.url == here and 2 <= len(link.text) <= 12
            ]
            segments = re.split(r"\s*[-_|｜—–]+\s*", _page_title(home))
            title = (named or [s for s in segments if s] or ["list"])[0]
            candidates = [Link(canonical_url(self.url), title)]
        if not candidates:
            raise DraftError(
                "no_sections",
                f"{self.url}: no section links found (no nav bar or 更多 links); give one "
                f"section's list page instead",
            )
        found: list[SectionFind] = []
        cap = max(2, (self.fetcher.budget - 4) // 2)
        queue = list(candidates)
        known = {link.url for link in queue}
        tried = 0
        while queue and tried < cap:
            link = queue.pop(0)
            tried += 1
            section = SectionFind(link.text, link.url)
            try:
                fetched = home if given_list else self.fetch_html(link.url)
            except BudgetSpent:
                break
            except (FetchError, DraftError) as exc:
                if isinstance(exc, Challenged):
                    raise
                section.problem = str(exc).removeprefix(link.url + ": ")
                self.left_out.append(f"{link.text} ({path_of(link.url)}): {section.problem}")
                continue
            self.read_list(section, fetched)
            boxes = [] if given_list else self.channel_boxes(section, fetched, known)
            if boxes:
                # A channel page: its boxes' 更多 links are the lists (子栏目), try them next.
                queue[:0] = boxes
                known.update(box.url for box in boxes)
                names = ", ".join(box.text for box in boxes)
                self.left_out.append(
                    f"{link.text} ({path_of(link.url)}): a channel page; its lists are tried "
                    f"instead ({names})"
                )
                continue
            if section.problem:
                self.left_out.append(f"{link.text} ({path_of(link.url)}): {section.problem}")
                continue
            duplicate = next((f for f in found if _same_list(f, section)), None)
            if duplicate:
                self.left_out.append(f"{link.text}: lists what {duplicate.name} lists")
                continue
            found.append(section)
        if queue:
            self.left_out.append(f"{len(queue)} more candidate links not tried (budget)")
        if not found:
            raise DraftError(
                "no_sections",
                f"{self.url}: none of {len(candidates)} section links leads to a list of "
                f"articles ({'; '.join(self.left_out[:3])})",
            )
        self.page_two(found)
        return found

    def candidates(self, home: Fetched) -> list[Link]:
        """Nav links first, then the section names of "更多" links (homepage boxes)."""
        page = home.page
        nav = discover_sections(page.body, page.final_url, page.content_type)
        seen = {canonical_url(self.url), canonical_url(self.base_url + "/")}
        out = []
        for link in [*nav, *_more_links(home.root, page.final_url)]:
            if link.url in seen or urlsplit(link.url).netloc != urlsplit(self.base_url).netloc:
                continue
            seen.add(link.url)
            out.append(link)
        return out

    def channel_boxes(self, section: SectionFind, fetched: Fetched, known: set) -> list[Link]:
        """The 更多 links of a page that lists no paged list itself but boxes of sub-lists."""
        if section.pages is not None and (
            section.pages.next_url or section.pages.hanweb or section.pages.trs_pages
        ):
            return []
        host = urlsplit(self.base_url).netloc
        listed = {link.url for link in section.links}
        boxes = [
            link
            for link in _more_links(fetched.root, fetched.page.final_url)
            if urlsplit(link.url).netloc == host
            and link.url not in known
            and link.url not in listed
            and link.url != canonical_url(fetched.page.final_url)
        ]
        unique = list({link.url: link for link in boxes}.values())
        if not section.problem:
            # A page with a list of its own is a channel only when its boxes lead below it
            # (/xwzx/ → /xwzx/jwdt/): other 更多 links are a sidebar's.
            here = urlsplit(fetched.page.final_url).path
            folder = here[: here.rfind("/") + 1]
            unique = [b for b in unique if urlsplit(b.url).path.startswith(folder)]
            unique = [b for b in unique if urlsplit(b.url).path != folder]
        return unique if len(unique) >= 2 else []

    def read_list(self, section: SectionFind, fetched: Fetched) -> None:
        page = fetched.page
        if soft_404_reason(page.body, page.content_type):
            section.problem = "a not-found page"
            return
        if canonical_url(page.final_url) in (
            canonical_url(self.base_url + "/"),
            canonical_url(self.url) if section.url != self.url else "",
        ):
            section.problem = "redirects to the homepage"
            return
        guess = discover_list_page(page.body, page.final_url, page.content_type)
        host = urlsplit(self.base_url).netloc
        links = [link for link in guess.article_links if urlsplit(link.url).netloc == host]
        if len(links) < 2:
            section.problem = "no list of articles on it"
            return
        section.page1 = fetched
        section.links = links
        section.headlines.update(_headlines(page))
        pages = SectionPages(section.name, section.url)
        hanweb = hanweb_params(fetched.text) if "<datastore>" in fetched.text else None
        if hanweb:
            pages.hanweb = hanweb
        else:
            pager = trs_pager(fetched.text)
            if pager is not None:
                pages.trs_pages = pager[0]
            pages.next_url = guess.next_page
        section.pages = pages

    def page_two(self, sections: list[SectionFind]) -> None:
        """Fetch page 2 of a few sections: new articles there prove the paging works, and
        the next link it names shows which number is the page."""
        tried = 0
        for section in sections:
            if tried >= PAGE2_SECTIONS or self.fetcher.left < 4 + len(sections):
                break
            pages = section.pages
            if pages.hanweb:
                if tried == 0:  # the POST shape is the same for every column
                    self.hanweb_probe(section)
                    tried += 1
                continue
            if not pages.next_url:
                continue
            tried += 1
            try:
                fetched = self.fetch_html(pages.next_url)
            except (FetchError, DraftError) as exc:
                if isinstance(exc, Challenged):
                    raise
                self.report.append(f"  {section.name}: page 2 failed: {exc}")
                pages.next_url = None
                continue
            guess = discover_list_page(
                fetched.page.body, fetched.page.final_url, fetched.page.content_type
            )
            known = {link.url for link in section.links}
            new = [link for link in guess.article_links if link.url not in known]
            section.page2_new = len(new)
            section.page2_from = new
            section.links += new
            section.headlines.update(_headlines(fetched.page))
            if guess.next_page and canonical_url(guess.next_page) != canonical_url(pages.next_url):
                pages.third_url = guess.next_page

    def hanweb_probe(self, section: SectionFind) -> None:
        params = section.pages.hanweb
        text = section.page1.text
        first, _ = datastore_records(text, section.page1.page.final_url)
        group = params["perpage"] * max(1, params["group_size"])
        start = len(first) + 1
        proxy = urljoin(self.base_url + "/", params["proxy_url"])
        url = (
            f"{proxy}?startrecord={start}&endrecord={start + group - 1}&perpage={params['perpage']}"
        )
        try:
            page = self.fetcher.get(url, params["form"])
        except FetchError as exc:
            if isinstance(exc, Challenged):
                raise
            self.report.append(f"  {section.name}: dataproxy POST failed: {exc}")
            return
        records, _ = datastore_records(decode_html(page.body, page.content_type).text, url)
        known = {link.url for link in section.links}
        new = [link for link in records if link.url not in known]
        section.page2_new = len(new)
        section.page2_from = new
        section.links += new
        for link in new:
            section.headlines.setdefault(link.url, link)

    def plan(self, sections: list[SectionFind]) -> ListPlan:
        return plan_lists(self.base_url, [s.pages for s in sections])

    def article_pattern(self, sections: list[SectionFind], plan: ListPlan) -> ArticlePattern:
        urls = [link.url for s in sections for link in s.links]
        pattern = generalise_article_urls(urls)
        if pattern is None:
            raise DraftError("no_sections", f"{self.url}: the lists link no articles")
        lists = (
            [self.url]
            + [s.url for s in sections]
            + [u for s in sections for u in (s.pages.next_url, s.pages.third_url) if u]
        )
        wrong = [u for u in lists if re.search(pattern.regex, path_of(u))]
        if wrong:
            self.report.append(f"warning: the article regex also matches list page {wrong[0]}")
        return pattern

    def sample_articles(self, sections: list[SectionFind]) -> list[Sample]:
        """A few articles per section, spread over the list pages seen, every URL shape at
        least once, within what the budget leaves."""
        left = self.fetcher.left - 1
        per = max(1, min(self.sample, left // max(1, len(sections))))
        picks: list[tuple[SectionFind, Link]] = []
        for section in sections:
            page1 = [link for link in section.links if link not in section.page2_from]
            chosen = _spread(page1, per - (1 if section.page2_from and per > 1 else 0))
            if section.page2_from and per > 1:
                chosen += section.page2_from[:1]
            picks += [(section, link) for link in chosen]
        picks = picks[: max(left, 0)]
        samples: list[Sample] = []
        for section, link in picks:
            try:
                fetched = self.fetch_html(link.url)
            except BudgetSpent:
                break
            except (FetchError, DraftError) as exc:
                if isinstance(exc, Challenged):
                    raise
                self.report.append(f"  sample {path_of(link.url)}: {exc}")
                continue
            listed = section.headlines.get(link.url, link)
            samples.append(
                Sample(
                    fetched.page.final_url if fetched.page.final_url else link.url,
                    fetched.page.body,
                    fetched.page.content_type,
                    section.name,
                    listed.text or link.text,
                    listed.date or link.date,
                )
            )
        return samples

    # --- putting it together ------------------------------------------------------------

    def finish(self, home, sections, plan, pattern, samples) -> Draft:
        from pingan_crawler.sites.tomlout import render_profile

        family = recognise(
            [(f.page.final_url, f.page.headers, f.text) for f in self.fetched],
            [link.url for s in sections for link in s.links],
        )
        charset, charset_note = self.charset()
        views, views_note = self.views(samples, family)
        title = site_title(home)
        bare = SiteProfile(
            name=self.name,
            title=title,
            base_url=self.base_url,
            article_url=pattern.regex,
            list_url="{section}",
            charset=charset,
        )
        list_roots = [s.page1.root for s in sections if s.page1 is not None]
        choices = FieldPicker(samples, bare, family.family, list_roots).choose()
        profile = self.profile(bare, plan, views, choices)
        checks = self.self_check(profile, sections, samples)
        report = self.findings(
            family, sections, plan, pattern, charset_note, views_note, choices, samples, checks
        )
        toml = render_profile(
            profile,
            family,
            plan,
            choices,
            notes={
                "source": self.url,
                "date": self.today.isoformat(),
                "requests": self.fetcher.requests,
                "sections": len(sections),
                "articles": len(samples),
                "pattern": pattern,
                "charset": charset_note,
                "views": views_note,
            },
        )
        return Draft(self.name, toml, report, self.fetcher.requests, profile)

    def charset(self) -> tuple[str | None, str]:
        counts = Counter(f.charset for f in self.fetched)
        main, n = counts.most_common(1)[0]
        total = len(self.fetched)
        lying = sum(
            1
            for f in self.fetched
            if f.header_charset and f.header_charset != f.charset and f.charset == main
        )
        declared = Counter(f.declared for f in self.fetched)
        said = ", ".join(f"{k} {v}" for k, v in declared.most_common(3))
        note = f"{main} on {n}/{total} pages (declared: {said}"
        note += f"; {lying} with a header that says otherwise)" if lying else ")"
        if main in _GBK and n == total:
            # gb18030 is a superset of gb2312/gbk: a lying header or a GBK-only name is safe.
            return "gb18030", note
        return None, note

    def views(self, samples: list[Sample], family: FamilyGuess) -> tuple[Views, str]:
        counters: Counter = Counter()
        modes: Counter = Counter()
        for sample in samples:
            text = decode_html(sample.body, sample.content_type).text
            for _tag, src in _SRC.findall(text):
                kind = counter_kind(src.replace("&amp;", "&"))
                if kind:
                    counters[_counter_regex(src)] += 1
                    modes[kind[0] or _guess_counter_mode(text)] += 1
                    break
        n = len(samples)
        if counters and counters.most_common(1)[0][1] * 2 >= n:
            regex, hits = counters.most_common(1)[0]
            mode = modes.most_common(1)[0][0]
            note = (
                f"{mode}: a counter script ({regex}) on {hits}/{n} sampled articles; it adds a "
                f"view per call, so it is not fetched (fetch_counter = true to read it)"
            )
            return Views(mode=mode, counter=regex, fetch_counter=False), note
        bare = SiteProfile(self.name, "", self.base_url, ".", "{section}")
        from pingan_crawler.parsing.article import extract_article

        printed = sum(
            1
            for s in samples
            if extract_article(s.body, s.url, bare, s.content_type).view_count is not None
        )
        if printed:
            return Views(mode="static"), f"static: printed in the page on {printed}/{n}"
        return Views(mode="none"), f"none: no count printed and no counter script on {n} pages"

    def profile(self, bare: SiteProfile, plan: ListPlan, views: Views, choices) -> SiteProfile:
        sections = tuple(
            Section(
                str(row["id"]),
                row["name"],
                tuple((k, str(v)) for k, v in row.items() if k not in ("id", "name")),
            )
            for row in plan.sections
        )
        pagination = Pagination(style=plan.style)
        if plan.style == "hanweb":
            extra = plan.pagination
            pagination = Pagination(
                "hanweb",
                extra["proxy_url"],
                extra["perpage"],
                extra["group"],
                tuple(extra["form"].items()),
            )
        return replace(
            bare,
            list_url=plan.list_url,
            first_list_url=plan.first_list_url,
            first_page=plan.first_page,
            selectors=selectors_of(choices),
            views=views,
            pagination=pagination,
            sections=sections,
            origin="draft",
        )

    def self_check(self, profile: SiteProfile, sections, samples) -> dict:
        """Run the drafted profile over what was fetched: list pages give their articles and
        next pages, articles their title and body."""
        from pingan_crawler.parsing.article import extract_article
        from pingan_crawler.parsing.listing import read_list_page

        out = {"lists": 0, "lists_ok": 0, "articles": 0, "articles_ok": 0, "next_ok": 0}
        by_name = {s.name: s for s in profile.sections}
        for found in sections:
            section = by_name.get(found.name)
            if section is None or found.page1 is None:
                continue
            page = found.page1.page
            read = read_list_page(
                page.body,
                page.final_url,
                profile,
                section,
                profile.first_page,
                page.content_type,
            )
            out["lists"] += 1
            listed = {link.url for link in read.articles}
            if {link.url for link in found.links if link not in found.page2_from} <= listed:
                out["lists_ok"] += 1
            expected = found.pages.next_url
            if (
                read.next and expected and canonical_url(read.next.url) == canonical_url(expected)
            ) or (read.next and read.next.form is not None):
                out["next_ok"] += 1
        for sample in samples:
            article = extract_article(sample.body, sample.url, profile, sample.content_type)
            out["articles"] += 1
            if article.title and article.body and profile.is_article_url(sample.url):
                out["articles_ok"] += 1
        out["paged"] = sum(1 for s in sections if s.pages and (s.pages.next_url or s.pages.hanweb))
        return out

    def findings(
        self, family, sections, plan, pattern, charset_note, views_note, choices, samples, checks
    ) -> list[str]:
        lines = [f"{self.name}: drafted from {self.url} with {self.fetcher.requests} requests"]
        if family.family:
            base = f", extends {family.family.base!r}" if family.family.base else ", no base"
            lines.append(
                f"family: {family.family.title} ({family.confidence}{base}): "
                + "; ".join(family.evidence[:4])
            )
        else:
            lines.append("family: none recognised (a custom CMS): no extends")
        lines.append(f"sections: {len(sections)} with article lists")
        for s in sections:
            seen = len(s.links)
            more = ""
            if s.page2_new is not None:
                more = f"; page 2 lists {s.page2_new} more"
            elif s.pages.next_url:
                more = "; links a next page"
            elif not s.pages.hanweb:
                more = "; no next page"
            lines.append(f"  {s.name}: {path_of(s.url)} ({seen} articles seen{more})")
        for line in self.left_out:
            lines.append(f"  left out: {line}")
        paged = checks["paged"]
        lines.append(
            f"pagination: {plan.style}, {_plan_text(plan)}; next page found on {paged} of "
            f"{len(sections)} sections, the profile rebuilds {checks['next_ok']} of them"
        )
        for note in plan.notes:
            lines.append(f"  {note}")
        lines.append(
            f"article URLs: {pattern.regex} ({pattern.total} links, "
            f"{len(pattern.clusters)} shape{'s' if len(pattern.clusters) > 1 else ''})"
        )
        if pattern.left_out:
            lines.append(f"  left out: {', '.join(pattern.left_out[:3])}")
        lines.append(f"charset: {charset_note}")
        lines.append(f"views: {views_note}")
        lines.append(f"fields ({len(samples)} articles sampled from {len(sections)} sections):")
        labels = {
            "title": "title",
            "published": "publish time",
            "body": "body",
            "breadcrumb": "section",
            "meta": "source/author/editor/views",
        }
        for key, label in labels.items():
            choice: Choice | None = choices.get(key)
            if choice is None:
                continue
            where = "selector" if choice.written else "generic"
            lines.append(f"  {label}: {where}: {choice.note}")
        if not samples:
            lines.append(
                "warning: no article could be sampled (request budget): every field is left to "
                "the generic extractor; draft again with a larger --max-requests"
            )
        lines += self.report
        lines.append(
            f"self-check: {checks['lists_ok']}/{checks['lists']} list pages give their articles,"
            f" {checks['articles_ok']}/{checks['articles']} articles their title and body"
        )
        return lines


# --- helpers ------------------------------------------------------------------------------


def selectors_of(choices: dict[str, Choice]) -> Selectors:
    values: dict = {}
    for key in ("title", "published", "breadcrumb"):
        choice = choices.get(key)
        if choice and choice.written:
            values[key] = choice.selector
    body = choices.get("body")
    if body and body.written:
        if isinstance(body.selector, tuple):
            values["body_between"] = body.selector
        else:
            values["body"] = body.selector
    meta = choices.get("meta")
    if meta and meta.written:
        values["meta"] = tuple(meta.selector)
    return Selectors(**values)


def site_name(host: str, port: int | None = None) -> str:
    """A profile name from the host: ``www.pa-jinhua.gov.cn`` → ``pa-jinhua``."""
    host = host.lower().removeprefix("www.")
    if re.fullmatch(r"[\d.]+|localhost|\[.*\]", host):
        return f"site-{host.replace('.', '-')}" + (f"-{port}" if port else "")
    host = re.sub(r"\.(gov|com|org|net|edu)\.cn$|\.(cn|com|net|org|gov)$", "", host)
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"


def site_title(home: Fetched) -> str:
    root = home.root
    head = root.find("head")
    if head is not None:
        for meta in head.iter("meta"):
            key = (meta.get("name") or meta.get("property") or "").lower()
            if key in ("sitename", "og:site_name", "site_name") and meta.get("content"):
                return clean_line(meta.get("content"))
    title = _page_title(home) or ""
    parts = [p for p in re.split(r"\s*[-_|｜—–]+\s*", title) if p and p not in ("首页", "主页")]
    best = max(parts, key=len) if parts else title
    return re.sub(r"^(欢迎(访问|来到|光临))", "", best) or best


def _page_title(fetched: Fetched) -> str:
    node = fetched.root.find(".//title")
    return clean_line(node.text_content()) if node is not None else ""


def _not_html(page: Page) -> bool:
    ctype = page.content_type.split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml", "") or ctype.startswith("text/"):
        head = page.body[:2048].lower()
        return not (b"<html" in head or b"<!doctype" in head or b"<a " in page.body[:65536].lower())
    return True


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?([\w-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*['\"]?([\w-]+)", re.I)


def _declared_charset(page: Page) -> str | None:
    """The charset as the page's <meta> (else its header) spells it: gb2312, not gb18030."""
    meta = _META_CHARSET.search(page.body[:4096])
    if meta:
        return meta.group(1).decode("ascii", "replace")
    header = _HEADER_CHARSET.search(page.content_type)
    return header.group(1) if header else None


def _looks_like_list(page: Fetched, url: str) -> bool:
    """A page off the site root is one section's list when it pages on or its own nav links
    it (``/col/col6864/index.html``); a portal front page (``/portal/index.jsp``) does not."""
    fetched = page.page
    guess = discover_list_page(fetched.body, fetched.final_url, fetched.content_type)
    if guess.next_page or "<datastore>" in page.text or trs_pager(page.text):
        return True
    here = canonical_url(url)
    links = page_links(fetched.body, fetched.final_url, fetched.content_type)
    return any(link.url == here and 2 <= len(link.text) <= 12 for link in links)


def _more_links(root, url: str) -> list[Link]:
    """ "更多>>" links of homepage boxes, named by the box's heading."""
    out = []
    for anchor in root.iter("a"):
        text = clean_line(anchor.text_content()) or clean_line(anchor.get("title") or "")
        if not _MORE.match(text) or not anchor.get("href"):
            continue
        href = anchor.get("href").strip()
        if href.lower().startswith(("javascript:", "#", "mailto:")):
            continue
        name = _box_heading(anchor)
        if name:
            out.append(Link(canonical_url(urljoin(url, href)), name))
    return out


def _box_heading(anchor) -> str | None:
    node = anchor.getparent()
    for _ in range(3):
        if node is None:
            return None
        for el in node.iter("h1", "h2", "h3", "h4", "h5", "strong", "span", "b", "div", "em"):
            if el is anchor or anchor in el.iterancestors() or el in anchor.iterancestors():
                continue
            text = clean_line(el.text_content())
            if 2 <= len(text) <= 12 and not _MORE.match(text):
                return text
        node = node.getparent()
    return None


def _headlines(page: Page) -> dict[str, Link]:
    """Every link's fullest headline (a ``title`` attribute beats cut-short text) and date."""
    return {link.url: link for link in page_links(page.body, page.final_url, page.content_type)}


def _same_list(a: SectionFind, b: SectionFind) -> bool:
    mine, theirs = {x.url for x in a.links}, {x.url for x in b.links}
    return len(mine & theirs) >= 0.8 * min(len(mine), len(theirs))


def _spread(links: list[Link], k: int) -> list[Link]:
    """``k`` links spread over the list (first, middle, last …), not the first ``k``."""
    if k <= 0 or not links:
        return []
    if k >= len(links):
        return list(links)
    step = (len(links) - 1) / max(1, k - 1) if k > 1 else 0
    return [links[round(i * step)] for i in range(k)]


def _counter_regex(src: str) -> str:
    """The counter's path, as a regex every article's counter matches: its last path segment
    (and the one before it when the last is a common name)."""
    parts = urlsplit(src.replace("&amp;", "&"))
    segments = [s for s in parts.path.split("/") if s]
    tail = segments[-1] if segments else parts.path
    if len(segments) >= 2 and re.fullmatch(r"(index|count|hits?|default)\.\w+", tail, re.I):
        tail = segments[-2] + "/" + tail
    if not parts.query:
        return escape(tail)
    # A leading word-valued parameter names the call (api.php?op=count); numbers are the ids.
    fixed = []
    for pair in parts.query.split("&"):
        if not re.fullmatch(r"\w+=[A-Za-z_]+", pair):
            break
        fixed.append(pair)
    return escape(tail) + r"\?" + escape("&".join(fixed))


def _guess_counter_mode(text: str) -> str:
    """An unknown counter: an empty placeholder element it fills means jQuery-style
    ``$('#hits').html(N)``; otherwise it writes the number where it stands."""
    if re.search(
        r"<(span|em|b|font)[^>]+id=['\"]?\w*(hits|count|click|views?)\w*['\"]?[^>]*>\s*<",
        text,
        re.I,
    ):
        return "jq_html"
    return "js_docwrite"


def _plan_text(plan: ListPlan) -> str:
    if plan.style == "discover":
        return "each section's list page, paged by its own links"
    first = plan.first_list_url or plan.list_url
    if first == "{first}":
        first = "each section's own URL"
    elif first == "{section}":
        first = "the section's URL"
    if plan.style == "hanweb":
        return f"page 1 {first}, then POSTs to {plan.pagination['proxy_url']}"
    return f"page 1 {first}, then {plan.list_url} with page = {plan.first_page + 1}, …"
