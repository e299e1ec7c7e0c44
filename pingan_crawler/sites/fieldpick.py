"""Per-field selectors for a drafted profile, written only where they earn their place.

For each field the drafter collects candidate CSS selectors from the sampled article pages
(the node the value was found in, generalised by its id/classes; plus the family's stock
selectors from ``fingerprints.py``) and scores every candidate on *every* sampled page against
evidence that does not come from the page's own guesswork where there is any:

* title: the headline the list page linked the article with;
* publish time: the date the list printed beside the link (same day), then precision;
* section (breadcrumb): the name of the section whose list linked the article;
* body, 来源/作者/责任编辑/浏览: what the generic extractor reads, page by page.

A selector is written when it agrees across the sample (it hits on every sampled page) and
beats the generic extractor (which misses or disagrees on some page); otherwise the field is
left to the generic extractor. The generic extractor is called through ``extract_article``
with no selectors, so improvements to it show up here by themselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.dates import find_date_text, parse_publish_time
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.generic import guess_body_node
from pingan_crawler.parsing.html import clean_line, first, parse_html, select, text_of
from pingan_crawler.parsing.meta import LABEL_RE, MetaFields, parse_meta_line
from pingan_crawler.parsing.model import Article
from pingan_crawler.sites.fingerprints import Family
from pingan_crawler.sites.profile import Selectors, SiteProfile

_UNSTABLE = re.compile(r"\d{3,}")  # ids/classes numbered per article are no template mark
_CRUMB = re.compile(r"(当前位置|您的位置|所在位置|现在的位置|当前的位置|位置)\s*[:：]")
_CRUMB_SEP = re.compile(r"\s(?:>|＞|»|›|→|/)\s|[>＞»›→]")
_HEAD_TAGS = ("h1", "h2", "h3", "h4", "div", "td", "p", "span", "strong", "b", "font", "em")
_BLOCKS = ("div", "p", "td", "span", "li", "dd", "dt", "h2", "h3", "h4", "em", "small", "font")
_ORDER = ("day", "minute", "second")
META_FIELDS = ("source", "author", "editor", "views")


@dataclass(frozen=True)
class Sample:
    """One sampled article page and what its list page said about it."""

    url: str
    body: bytes
    content_type: str
    section: str
    headline: str
    list_date: str | None = None


@dataclass(frozen=True)
class Choice:
    """What the draft does for one field, and why (the report line)."""

    field: str
    selector: str | tuple[str, ...] = ""  # "" / (): the generic extractor
    hits: int = 0  # the chosen way's hits on the sample
    generic_hits: int = 0
    total: int = 0
    note: str = ""

    @property
    def written(self) -> bool:
        return bool(self.selector)


@dataclass
class _Page:
    sample: Sample
    root: object
    generic: Article
    evidence_day: str | None = None


@dataclass
class FieldPicker:
    """``FieldPicker(samples, bare_profile, family).choose()`` → {field: Choice}."""

    samples: list[Sample]
    bare: SiteProfile  # the draft so far, with no selectors: its extraction is the generic one
    family: Family | None = None
    chrome_roots: list = field(default_factory=list)  # list pages: what they share is chrome
    pages: list[_Page] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bare = replace(self.bare, selectors=Selectors())
        for sample in self.samples:
            text = decode_html(sample.body, sample.content_type, override=self.bare.charset).text
            root = parse_html(text)
            if root is None:
                continue
            generic = extract_article(sample.body, sample.url, self.bare, sample.content_type)
            day = _day(sample.list_date)
            self.pages.append(_Page(sample, root, generic, day))

    @property
    def n(self) -> int:
        return len(self.pages)

    def choose(self) -> dict[str, Choice]:
        if not self.pages:
            return {}
        return {
            "title": self.title(),
            "published": self.published(),
            "body": self.body(),
            "breadcrumb": self.breadcrumb(),
            "meta": self.meta(),
        }

    def _trial(self, page: _Page, **selectors) -> Article:
        profile = replace(self.bare, selectors=Selectors(**selectors))
        return extract_article(page.sample.body, page.sample.url, profile, page.sample.content_type)

    def _family(self, name: str) -> list[str]:
        if self.family is None:
            return []
        return [css for key, css in self.family.selectors if key == name]

    # --- title ------------------------------------------------------------------------

    def title(self) -> Choice:
        generic_hits = sum(
            1 for p in self.pages if same_headline(p.generic.title, p.sample.headline)
        )
        candidates = list(self._family("title"))
        for page in self.pages:
            for node in _headline_nodes(page.root, page.sample.headline):
                candidates += variants(node, page.root)
        best, hits = self._best(candidates, self._title_hit)
        return self._decide("title", best, hits, generic_hits, "the list's headline")

    def _title_hit(self, page: _Page, selector: str) -> bool:
        node = first(page.root, selector)
        if node is None:
            return False
        value = clean_line(node.get("content") or "") if node.tag == "meta" else text_of(node)
        return same_headline(value, page.sample.headline)

    # --- publish time -------------------------------------------------------------------

    def published(self) -> Choice:
        dated = [p for p in self.pages if p.evidence_day]
        generic_hits = sum(1 for p in self.pages if self._time_ok(p, p.generic))
        candidates = list(self._family("published"))
        for page in self.pages:
            for node in _date_nodes(page.root, page.evidence_day):
                candidates += variants(node, page.root)
        scored = []
        for selector in _unique(candidates)[:12]:
            trials = [(p, self._trial(p, published=selector)) for p in self.pages]
            if not all(first(p.root, selector) is not None for p in self.pages):
                continue
            ok = sum(1 for p, t in trials if self._time_ok(p, t))
            finer = sum(1 for p, t in trials if _finer(t, p.generic))
            coarser = sum(1 for p, t in trials if _finer(p.generic, t))
            scored.append((ok, finer - coarser, -len(selector), selector))
        if not scored:
            return self._decide("published", "", 0, generic_hits, "the list's dates")
        ok, gain, _, selector = max(scored)
        basis = f"the list's dates ({len(dated)} dated)" if dated else "the generic extractor"
        if ok == self.n and (generic_hits < self.n or gain > 0):
            note = f"{selector!r} gives the listed day on {ok}/{self.n}"
            if gain > 0 and generic_hits == self.n:
                note += f", more precisely than the generic extractor on {gain}"
            return Choice("published", selector, ok, generic_hits, self.n, note)
        return self._decide("published", "", 0, generic_hits, basis, runner=(selector, ok))

    def _time_ok(self, page: _Page, article: Article) -> bool:
        if article.published_at is None:
            return False
        if page.evidence_day is None:
            return page.generic.published_at is None or (
                article.published_at.date() == page.generic.published_at.date()
            )
        return article.published_at.date().isoformat() == page.evidence_day

    # --- body ---------------------------------------------------------------------------

    def body(self) -> Choice:
        generic_ok = [p for p in self.pages if _valid_body(p.generic.body)]
        candidates = list(self._family("body"))
        for page in self.pages:
            copy = guess_body_node(page.root)
            original = _original_of(copy, page.root) if copy is not None else None
            if original is not None:
                candidates += variants(original, page.root)
        if self.family is not None and self.family.body_between:
            candidates.insert(0, "between")
        scored = []
        for selector in _unique(candidates)[:8]:
            if selector == "between":
                trials = [self._trial(p, body_between=self.family.body_between) for p in self.pages]
                present = all(
                    self.family.body_between[0] in p.sample.body.decode("latin-1")
                    for p in self.pages
                )
            else:
                trials = [self._trial(p, body=selector) for p in self.pages]
                present = all(first(p.root, selector) is not None for p in self.pages)
            if not present or not all(_valid_body(t.body) for t in trials):
                continue
            agree = sum(
                1
                for p, t in zip(self.pages, trials, strict=True)
                if _similar(t.body, p.generic.body)
            )
            scored.append((agree, -len(selector), selector))
        generic_hits = len(generic_ok)
        if not scored:
            return self._decide("body", "", 0, generic_hits, "")
        agree, _, selector = max(scored)
        missing = self.n - generic_hits
        # The selector reads what the generic extractor reads wherever that one found a body,
        # and finds one where it did not; or it agrees on most pages and the template says the
        # others went astray.
        beats = (missing and agree >= generic_hits) or (
            self.n >= 3 and self.n - 1 >= agree >= math.ceil(2 * self.n / 3)
        )
        value = self.family.body_between if selector == "between" else selector
        if beats:
            note = f"{_show(value)} holds the body on {self.n}/{self.n}, the generic extractor "
            note += f"agrees on {agree}"
            return Choice("body", value, self.n, generic_hits, self.n, note)
        return self._decide("body", "", 0, generic_hits, "", runner=(_show(value), agree))

    # --- section (breadcrumb) ---------------------------------------------------------

    def breadcrumb(self) -> Choice:
        candidates = list(self._family("breadcrumb"))
        for page in self.pages:
            for node in _crumb_nodes(page.root):
                candidates += variants(node, page.root)
        scored = []
        for selector in _unique(candidates)[:10]:
            if not all(first(p.root, selector) is not None for p in self.pages):
                continue
            hits = sum(
                1
                for p in self.pages
                if self._trial(p, breadcrumb=selector).section == p.sample.section
            )
            scored.append((hits, -len(selector), selector))
        if not scored:
            return Choice("breadcrumb", "", 0, 0, self.n, "no breadcrumb found")
        hits, _, selector = max(scored)
        # Articles listed in two sections name one of them: most, not all, must agree.
        if hits >= max(1, math.ceil(0.8 * self.n)):
            note = f"{selector!r} names the listing section on {hits}/{self.n}"
            return Choice("breadcrumb", selector, hits, 0, self.n, note)
        note = f"best breadcrumb {selector!r} names the listing section on {hits}/{self.n} only"
        return Choice("breadcrumb", "", hits, 0, self.n, note)

    # --- 来源 / 作者 / 责任编辑 / 浏览 --------------------------------------------------------

    def meta(self) -> Choice:
        """The meta nodes (``[selectors] meta``), written when reading them gives every value
        the generic extractor finds, and some it misses, with no disagreement."""
        generic = {f: sum(1 for p in self.pages if _meta_value(p.generic, f)) for f in META_FIELDS}
        found: dict[str, int] = {}
        for page in self.pages:
            for node in _meta_nodes(page.root):
                for selector in variants(node, page.root)[:1]:
                    found[selector] = found.get(selector, 0) + 1
        common = [s for s, count in found.items() if count * 2 >= self.n]
        common = [s for s in common if not self._is_chrome(s)]
        summary = ", ".join(f"{f} {generic[f]}/{self.n}" for f in META_FIELDS if generic[f])
        if not common:
            return Choice("meta", (), 0, 0, self.n, f"generic extractor: {summary or 'nothing'}")
        ordered = tuple(sorted(common, key=lambda s: -found[s]))
        for selectors in (ordered, tuple(s for s in ordered if found[s] == self.n)):
            if not selectors:
                continue
            trials = [self._trial(p, meta=selectors) for p in self.pages]
            gains = 0
            bad = False
            for page, trial in zip(self.pages, trials, strict=True):
                for name in (*META_FIELDS, "published"):
                    mine, theirs = _meta_value(trial, name), _meta_value(page.generic, name)
                    if theirs is not None and mine != theirs:
                        bad = True
                    elif mine is not None and theirs is None and name != "published":
                        gains += 1
            if not bad and gains:
                got = {f: sum(1 for t in trials if _meta_value(t, f)) for f in META_FIELDS}
                shown = ", ".join(f"{f} {got[f]}/{self.n}" for f in META_FIELDS if got[f])
                note = f"{', '.join(map(repr, selectors))} give {shown} (generic: {summary})"
                return Choice("meta", selectors, gains, 0, self.n, note)
        return Choice("meta", (), 0, 0, self.n, f"generic extractor: {summary or 'nothing'}")

    def _is_chrome(self, selector: str) -> bool:
        """A labelled node every list page has too (a site-wide footer's 电话/地址 line)."""
        return bool(self.chrome_roots) and all(
            any(LABEL_RE.search(text_of(n)) for n in select(root, selector))
            for root in self.chrome_roots
        )

    # --- shared ---------------------------------------------------------------------------

    def _best(self, candidates: list[str], hit) -> tuple[str, int]:
        best, best_hits = "", -1
        for selector in _unique(candidates)[:16]:
            hits = sum(1 for p in self.pages if hit(p, selector))
            if hits > best_hits or (hits == best_hits and len(selector) < len(best)):
                best, best_hits = selector, hits
        return best, max(best_hits, 0)

    def _decide(self, name, best, hits, generic_hits, basis, runner=None) -> Choice:
        n = self.n
        against = f" against {basis}" if basis else ""
        if best and hits == n and generic_hits < n:
            note = (
                f"{best!r} agrees on {hits}/{n}{against}; the generic extractor on {generic_hits}"
            )
            return Choice(name, best, hits, generic_hits, n, note)
        note = f"generic extractor {generic_hits}/{n}{against}"
        best, hits = runner or (best, hits)
        if best:
            note += f"; best selector {_show(best)} {hits}/{n}"
        return Choice(name, "", generic_hits, generic_hits, n, note)


# --- helpers ----------------------------------------------------------------------------


def same_headline(value: str | None, headline: str) -> bool:
    """The article's title is the list's headline (which may be cut short with …)."""
    if not value or not headline:
        return False
    a, b = _key(value), _key(headline)
    cut = b.rstrip("…").rstrip(".")
    if a == b:
        return True
    if cut != b and len(cut) >= 4:
        return a.startswith(cut)
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 0.8 * len(longer) and shorter in longer


def _key(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text)


def _day(text: str | None) -> str | None:
    if not text:
        return None
    parsed = parse_publish_time(text)
    return parsed.value.date().isoformat() if parsed.value else None


def _finer(a: Article, b: Article) -> bool:
    """``a`` gives the same moment as ``b`` more precisely."""
    if a.published_at is None or b.published_at is None:
        return False
    pa, pb = (
        _ORDER.index(a.published_precision or "day"),
        _ORDER.index(b.published_precision or "day"),
    )
    width = {0: 10, 1: 16, 2: 19}[pb]
    return pa > pb and a.published_at.isoformat()[:width] == b.published_at.isoformat()[:width]


def _valid_body(text: str) -> bool:
    return len(_key(text)) >= 10


def _similar(a: str, b: str) -> bool:
    la, lb = (
        set(filter(None, map(_key, a.split("\n")))),
        set(filter(None, map(_key, b.split("\n")))),
    )
    if not la or not lb:
        return False
    return len(la & lb) / len(la | lb) >= 0.9


def _meta_value(article: Article, name: str):
    if name == "views":
        return article.view_count
    if name == "published":
        return article.published_at
    return getattr(article, name)


def _show(value) -> str:
    if isinstance(value, tuple) or value == "between":
        return "the body markers"
    return value if value.startswith("'") else repr(value)


def _unique(items: list[str]) -> list[str]:
    """By how often each was proposed (across pages), then first seen."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts, key=lambda s: -counts[s])


def _headline_nodes(root, headline: str):
    if not headline:
        return
    head = root.find("head")
    if head is not None:
        for meta in head.iter("meta"):
            if same_headline(clean_line(meta.get("content") or ""), headline):
                yield meta
    body = root.find("body")
    for node in (body if body is not None else root).iter(*_HEAD_TAGS):
        if len(node) > 6:
            continue
        text = text_of(node)
        if 4 <= len(text) <= 150 and same_headline(text, headline):
            yield node


def _date_nodes(root, day: str | None):
    head = root.find("head")
    if head is not None:
        for meta in head.iter("meta"):
            content = meta.get("content") or ""
            if find_date_text(content) and (day is None or _day(content) == day):
                yield meta
    body = root.find("body")
    if body is None or day is None:
        return
    for node in body.iter(*_BLOCKS):
        text = clean_line(node.text_content())
        if len(text) > 80 or not find_date_text(text):
            continue
        if _day(find_date_text(text)) == day and not any(
            _day(find_date_text(clean_line(c.text_content())) or "") == day
            for c in node
            if isinstance(c.tag, str)
        ):
            yield node  # the smallest element holding the date


def _crumb_nodes(root):
    """The smallest blocks that read like a breadcrumb: a 当前位置 label or separators,
    with links."""
    body = root.find("body")
    if body is None:
        return
    for node in body.iter("div", "p", "td", "span", "li", "nav", "ul"):
        if not _is_crumb(node):
            continue
        if not any(_is_crumb(child) for child in node.iterdescendants(*_CRUMB_TAGS)):
            yield node


_CRUMB_TAGS = ("div", "p", "td", "span", "li", "nav", "ul")


def _is_crumb(node) -> bool:
    if node.find(".//a") is None or len(node.findall(".//a")) > 8:
        return False
    text = clean_line(node.text_content())
    if not 4 <= len(text) <= 120:
        return False
    return bool(_CRUMB.search(text) or _CRUMB_SEP.search(text))


def _meta_nodes(root):
    """The smallest blocks holding a ``label:`` and a value, outside nav/header/footer tags."""
    body = root.find("body")
    if body is None:
        return
    for node in body.iter(*_BLOCKS):
        text = clean_line(node.text_content().replace("\n", " "))
        if not 3 <= len(text) <= 200 or not LABEL_RE.search(text):
            continue
        if any(a.tag in ("nav", "header", "footer") for a in node.iterancestors()):
            continue
        if any(
            LABEL_RE.search(clean_line(c.text_content()))
            for c in node
            if isinstance(c.tag, str) and c.tag in _BLOCKS
        ):
            continue  # a child block holds it: that one is the node
        links = sum(len(clean_line(a.text_content())) for a in node.iter("a"))
        if links > 0.5 * len(text) or parse_meta_line(text) == MetaFields():
            continue
        yield node


def _original_of(copy, root):
    """The page's own node that ``guess_body_node`` returned a cleaned copy of."""
    want = dict(copy.attrib)
    lines = [line for line in text_of(copy).split(" ") if len(line) >= 6][:1]
    for node in root.iter(copy.tag):
        if dict(node.attrib) == want and (not lines or lines[0] in node.text_content()):
            return node
    return None


def _stable(name: str) -> bool:
    return bool(name) and not _UNSTABLE.search(name) and re.fullmatch(r"[A-Za-z_][\w-]*", name)


def variants(node, root) -> list[str]:
    """CSS selectors that pick ``node`` first on its page, most general first: by id, by
    class, then qualified by the nearest ancestor that has an id or a class."""
    if node.tag == "meta":
        for attr in ("name", "property", "itemprop"):
            if node.get(attr):
                return [f'meta[{attr}="{node.get(attr)}"]']
        return []
    own = _own_selectors(node)
    out = [s for s in own if first(root, s) is node]
    ancestor = node.getparent()
    depth = 0
    while ancestor is not None and ancestor.tag not in ("body", "html") and depth < 4:
        for outer in _own_selectors(ancestor)[:2]:
            for inner in [*own[:2], node.tag]:
                selector = f"{outer} {inner}"
                if first(root, selector) is node:
                    out.append(selector)
        if out:
            break
        ancestor, depth = ancestor.getparent(), depth + 1
    return out[:4]


def _own_selectors(node) -> list[str]:
    out = []
    ident = node.get("id", "")
    if _stable(ident):
        out.append(f"#{ident}")
    classes = [c for c in (node.get("class") or "").split() if _stable(c)]
    out += [f"{node.tag}.{c}" for c in classes]
    if len(classes) > 1:
        out.append(node.tag + "".join(f".{c}" for c in classes))
    return out
