"""What single pages tell a drafter: names, titles, charsets, "更多" boxes, counters.

Pure helpers over fetched pages (``Fetched``: a response plus its decoded text and tree),
used by ``draft.py``; no fetching here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.discover import discover_list_page
from pingan_crawler.parsing.html import clean_line
from pingan_crawler.parsing.listing import page_links, trs_pager
from pingan_crawler.parsing.model import Link
from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites.fetch import Page
from pingan_crawler.sites.fingerprints import counter_kind
from pingan_crawler.sites.profile import SiteProfile, Views
from pingan_crawler.sites.urlshapes import escape

_MORE = re.compile(
    r"^[\s【\[(（]*(更多|more|查看更多|更多内容|更多>+|more>+|>>|»)[\s>》»】\])）+]*$", re.I
)
_SRC = re.compile(r"<(script|iframe)\b[^>]*?\bsrc\s*=\s*['\"]?([^'\" >]+)", re.I)
_GBK = {"gb18030", "gbk", "gb2312"}


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
    title = page_title(home) or ""
    parts = [p for p in re.split(r"\s*[-_|｜—–]+\s*", title) if p and p not in ("首页", "主页")]
    best = max(parts, key=len) if parts else title
    return re.sub(r"^(欢迎(访问|来到|光临))", "", best) or best


def page_title(fetched: Fetched) -> str:
    node = fetched.root.find(".//title")
    return clean_line(node.text_content()) if node is not None else ""


def not_html(page: Page) -> bool:
    ctype = page.content_type.split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml", "") or ctype.startswith("text/"):
        head = page.body[:2048].lower()
        return not (b"<html" in head or b"<!doctype" in head or b"<a " in page.body[:65536].lower())
    return True


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?([\w-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*['\"]?([\w-]+)", re.I)


def declared_charset(page: Page) -> str | None:
    """The charset as the page's <meta> (else its header) spells it: gb2312, not gb18030."""
    meta = _META_CHARSET.search(page.body[:4096])
    if meta:
        return meta.group(1).decode("ascii", "replace")
    header = _HEADER_CHARSET.search(page.content_type)
    return header.group(1) if header else None


def looks_like_list(page: Fetched, url: str) -> bool:
    """A page off the site root is one section's list when it pages on or its own nav links
    it (``/col/col6864/index.html``); a portal front page (``/portal/index.jsp``) does not."""
    fetched = page.page
    guess = discover_list_page(fetched.body, fetched.final_url, fetched.content_type)
    if guess.next_page or "<datastore>" in page.text or trs_pager(page.text):
        return True
    here = canonical_url(url)
    links = page_links(fetched.body, fetched.final_url, fetched.content_type)
    return any(link.url == here and 2 <= len(link.text) <= 12 for link in links)


def more_links(root, url: str) -> list[Link]:
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


def headlines(page: Page) -> dict[str, Link]:
    """Every link's fullest headline (a ``title`` attribute beats cut-short text) and date."""
    return {link.url: link for link in page_links(page.body, page.final_url, page.content_type)}


def spread(links: list[Link], k: int) -> list[Link]:
    """``k`` links spread over the list (first, middle, last …), not the first ``k``."""
    if k <= 0 or not links:
        return []
    if k >= len(links):
        return list(links)
    step = (len(links) - 1) / max(1, k - 1) if k > 1 else 0
    return [links[round(i * step)] for i in range(k)]


def counter_regex(src: str) -> str:
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


def decide_charset(fetched: list[Fetched]) -> tuple[str | None, str]:
    """The profile's ``charset``: gb18030 when every page is GBK-family (a superset that
    survives lying headers and GBK-only names), else none (detection per page works)."""
    counts = Counter(f.charset for f in fetched)
    main, n = counts.most_common(1)[0]
    total = len(fetched)
    lying = sum(
        1
        for f in fetched
        if f.header_charset and f.header_charset != f.charset and f.charset == main
    )
    declared = Counter(f.declared for f in fetched)
    said = ", ".join(f"{k} {v}" for k, v in declared.most_common(3))
    note = f"{main} on {n}/{total} pages (declared: {said}"
    note += f"; {lying} with a header that says otherwise)" if lying else ")"
    if main in _GBK and n == total:
        # gb18030 is a superset of gb2312/gbk: a lying header or a GBK-only name is safe.
        return "gb18030", note
    return None, note


def decide_views(samples: list, base_url: str) -> tuple[Views, str]:
    """The view-count mode: a counter script the articles carry (never fetched: it adds a
    view), else a count printed in the page, else none."""
    counters: Counter = Counter()
    modes: Counter = Counter()
    for sample in samples:
        text = decode_html(sample.body, sample.content_type).text
        for _tag, src in _SRC.findall(text):
            kind = counter_kind(src.replace("&amp;", "&"))
            if kind:
                counters[counter_regex(src)] += 1
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
    bare = SiteProfile("draft", "", base_url, ".", "{section}")
    printed = sum(
        1
        for s in samples
        if extract_article(s.body, s.url, bare, s.content_type).view_count is not None
    )
    if printed:
        return Views(mode="static"), f"static: printed in the page on {printed}/{n}"
    return Views(mode="none"), f"none: no count printed and no counter script on {n} pages"
