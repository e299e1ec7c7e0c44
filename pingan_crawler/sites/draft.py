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
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urljoin, urlsplit

from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.discover import discover_list_page, discover_sections
from pingan_crawler.parsing.html import parse_html
from pingan_crawler.parsing.listing import datastore_records, is_homepage, page_links, trs_pager
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.sniff import binary_type, soft_404_reason
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites.draftreport import report_lines
from pingan_crawler.sites.fetch import BudgetSpent, Challenged, FetchError, PoliteFetcher
from pingan_crawler.sites.fieldpick import Choice, FieldPicker, Sample
from pingan_crawler.sites.fingerprints import recognise
from pingan_crawler.sites.listplan import ListPlan, SectionPages, hanweb_params, plan_lists
from pingan_crawler.sites.pagefacts import (
    Fetched,
    decide_charset,
    decide_views,
    declared_charset,
    headlines,
    looks_like_list,
    more_links,
    not_html,
    page_title,
    site_name,
    site_title,
    spread,
)
from pingan_crawler.sites.profile import Pagination, Section, Selectors, SiteProfile, Views
from pingan_crawler.sites.urlshapes import (
    ArticlePattern,
    escape,
    generalise_article_urls,
    path_of,
)

DEFAULT_BUDGET = 60
_PAGES_SAID = re.compile(r"共\s*(\d+)\s*页|页次\s*[:：]?\s*\d+\s*/\s*(\d+)")
PAGE2_SECTIONS = 3  # sections whose page 2 is fetched to see the paging work


class DraftError(Exception):
    """Drafting cannot go on; ``kind`` picks the exit code (see cli/profile.py)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


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
        if kind or not_html(page):
            what = kind or page.content_type or "no Content-Type"
            raise DraftError("not_html", f"{url}: not an HTML page ({what})")
        decoded = decode_html(page.body, page.content_type)
        root = parse_html(decoded.text)
        if root is None:
            raise DraftError("not_html", f"{url}: an empty page")
        said = declared_charset(page)
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
        given_list = not is_homepage(self.url) and looks_like_list(home, self.url)
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
            segments = re.split(r"\s*[-_|｜—–]+\s*", page_title(home))
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
        for link in [*nav, *more_links(home.root, page.final_url)]:
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
            for link in more_links(fetched.root, fetched.page.final_url)
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
        section.headlines.update(headlines(page))
        pages = SectionPages(section.name, section.url)
        hanweb = hanweb_params(fetched.text) if "<datastore>" in fetched.text else None
        if hanweb:
            pages.hanweb = hanweb
        else:
            pager = trs_pager(fetched.text)
            if pager is not None:
                pages.trs_pages = pager[0]
            pages.next_url = guess.next_page
            said = _PAGES_SAID.search(
                fetched.root.text_content() if fetched.root is not None else ""
            )
            if not pages.next_url and said and int(said.group(1) or said.group(2)) > 1:
                self.report.append(
                    f"warning: {section.name}: the pager says {said.group(0)} but links no next "
                    f"page (a script pager?): only its page 1 can be crawled"
                )
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
            section.headlines.update(headlines(fetched.page))
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
        wrong = sorted({path_of(u) for u in lists if re.search(pattern.regex, path_of(u))})
        if wrong:
            # Too general for this site's names: keep the pages known to be lists out.
            keep_out = "|".join(escape(u) for u in wrong)
            pattern = replace(pattern, regex=f"^(?!(?:{keep_out})$){pattern.regex[1:]}")
            self.report.append(
                f"note: the article URLs' shape fits list pages too; {', '.join(wrong[:3])} "
                f"kept out by name"
            )
        return pattern

    def sample_articles(self, sections: list[SectionFind]) -> list[Sample]:
        """A few articles per section, spread over the list pages seen, every URL shape at
        least once, within what the budget leaves."""
        left = self.fetcher.left - 1
        per = max(1, min(self.sample, left // max(1, len(sections))))
        picks: list[tuple[SectionFind, Link]] = []
        for section in sections:
            page1 = [link for link in section.links if link not in section.page2_from]
            chosen = spread(page1, per - (1 if section.page2_from and per > 1 else 0))
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
        charset, charset_note = decide_charset(self.fetched)
        views, views_note = decide_views(samples, self.base_url)
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
        report = report_lines(
            self,
            family,
            sections,
            plan,
            pattern,
            charset_note,
            views_note,
            choices,
            samples,
            checks,
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


def _same_list(a: SectionFind, b: SectionFind) -> bool:
    mine, theirs = {x.url for x in a.links}, {x.url for x in b.links}
    return len(mine & theirs) >= 0.8 * min(len(mine), len(theirs))
