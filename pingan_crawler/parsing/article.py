"""Extract an :class:`Article` from one article page: bytes + URL + profile in, dataclass out."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin

from pingan_crawler.parsing import credits as credit_roles
from pingan_crawler.parsing.counters import Counter, find_counter_url, find_page_counter
from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.parsing.decode import DecodedPage, decode_html
from pingan_crawler.parsing.generic import guess_body_node, guess_meta, guess_title
from pingan_crawler.parsing.html import (
    clean_line,
    first,
    inner_html,
    lines_of,
    parse_html,
    select,
    strip_noise,
    text_of,
)
from pingan_crawler.parsing.meta import (
    MetaFields,
    is_blank_count,
    parse_meta_line,
    parse_view_count,
)
from pingan_crawler.parsing.model import Article
from pingan_crawler.parsing.multipage import later_pages
from pingan_crawler.sites import FIELD_SELECTORS, Selectors, SiteProfile

# Lines that end a body in most templates: meta labels, credits (编辑/审核/校对/摄影 …),
# prev/next links, print/close buttons.
_TAIL_LINE = re.compile(
    r"^[【\[(（]?\s*(?:(来源|文章来源|信息来源|稿源|责任编辑|责编|编辑|作者|审核|上一篇|下一篇|"
    r"上一条|下一条|打印本页|关闭窗口|【打印】|【关闭】|分享到)\s*[:：】\])）]?|(?:"
    + "|".join(sorted(map(re.escape, credit_roles.ROLES), key=len, reverse=True))
    + r")\s*[:：|｜丨])"
)
# A pager left at the end of a body: "上一页 1 2 3 下一页", "共3页", "[1] [2] [3]".
_PAGER_LINE = re.compile(
    r"^(?:(?:上一页|下一页|首页|尾页|末页|共\s*\d+\s*页|第\s*\d+\s*页|[\[【]?\d{1,3}[\]】]?)\s*)+$"
)
_NOT_SECTIONS = ("首页", "网站首页", "主页", "正文", "内容", "详情", "正文内容")
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|›|/|→)\s*")


def extract_article(
    body: bytes,
    url: str,
    profile: SiteProfile | None = None,
    content_type: str | None = None,
    now: datetime | None = None,
    decoded: DecodedPage | None = None,
) -> Article:
    """Parse an article page. Never raises on bad input: problems land in ``warnings``.

    ``decoded`` is ``body`` already decoded (with the profile's charset override) by a caller
    that needed the text too; without it the page is decoded here.
    """
    selectors = profile.selectors if profile else Selectors()
    if decoded is None:
        decoded = decode_html(body, content_type, override=profile.charset if profile else None)
    warnings = list(decoded.notes)
    root = parse_html(decoded.text)
    if root is None:
        return _empty(url, profile, decoded.charset, (*warnings, "empty or unparseable page"))
    # Counter scripts are found before scripts are stripped from the tree.
    generic_views = profile is None or profile.view_mode == "static"
    page_counter = find_page_counter(root, url) if generic_views else None

    meta_text = " ".join(text_of(n) for sel in selectors.meta for n in select(root, sel))
    title_node = first(root, selectors.title)
    title = _value_of(title_node) if title_node is not None else None
    title = title or guess_title(root, profile.title if profile else "")
    breadcrumb = first(root, selectors.breadcrumb)

    body_node = _between(decoded.text, selectors.body_between)
    if body_node is None and selectors.body:
        body_node = first(root, selectors.body)
    if body_node is not None:
        strip_noise(body_node, selectors.remove)
    else:
        if selectors.body:
            warnings.append(f"body selector {selectors.body!r} matched nothing; body guessed")
        strip_noise(root, selectors.remove)
        body_node = guess_body_node(root)

    lines: list[str] = []
    body_html = ""
    tail_meta = MetaFields()
    if body_node is not None:
        lines = lines_of(body_node)
        # Meta lines at the end of the body (来源:/责任编辑:) are fields, not text.
        while lines and (_TAIL_LINE.match(lines[-1]) or _PAGER_LINE.match(lines[-1])):
            tail_meta = tail_meta.merged(parse_meta_line(lines.pop()))
        if title and lines and lines[0] == title:
            lines.pop(0)
        body_html = inner_html(body_node)

    fields = _field_nodes(root, selectors)
    profile_line = parse_meta_line(meta_text) if meta_text else MetaFields()
    meta = fields.merged(profile_line).merged(tail_meta)
    guess = MetaFields()
    if meta == MetaFields() or not selectors.meta:
        guess = guess_meta(root)
        meta = meta.merged(guess)
    # Credits in page order: the profile's meta line, the page's blocks, then the tail lines
    # of the body the blocks did not hold (br-separated lines of one long block). The editor
    # is chosen among all of them (责任编辑 beats 编辑 wherever each is printed), unless the
    # profile points at the editor's node.
    credits = credit_roles.merge(profile_line.credits, guess.credits, tail_meta.credits)
    meta = replace(meta, credits=credits)
    editor = fields.editor or credit_roles.editor_of(credits) or meta.editor
    author = fields.author or meta.author
    if author and editor and author == editor and not fields.author:
        author = None

    published = parse_publish_time(meta.published, now=now)
    if published.problem:
        warnings.append(f"publish time: {published.problem}")
    static = generic_views
    view_count = parse_view_count(meta.views) if static else None
    if static and not is_blank_count(meta.views) and view_count is None:
        warnings.append(f"view count {meta.views!r} is not a non-negative integer")
    counter = _counter(decoded.text, url, profile, page_counter, view_count)

    return Article(
        url=url,
        site=profile.name if profile else None,
        title=title or None,
        published_at=published.value,
        published_raw=meta.published,
        published_precision=published.precision,
        view_count=view_count,
        view_count_raw=meta.views if static else None,  # a counter's count is not in the page
        body="\n".join(lines),
        body_html=body_html,
        source=meta.source or None,
        editor=editor or None,
        author=author or None,
        section=_section_from_breadcrumb(breadcrumb),
        images=_images(body_node, url),
        charset=decoded.charset,
        warnings=tuple(warnings),
        continuations=later_pages([a.get("href", "") for a in root.iter("a")], url),
        counter_url=counter[0],
        counter_kind=counter[1],
        credits=meta.credits,
        byline=meta.byline,
    )


def _between(text: str, markers: tuple[str, ...]):
    """The HTML between a profile's two body markers, as one node (None if a marker is absent)."""
    if not markers:
        return None
    begin, end = text.find(markers[0]), text.find(markers[1])
    if begin < 0 or end < begin:
        return None
    fragment = text[begin + len(markers[0]) : end]
    root = parse_html(f"<html><body><div>{fragment}</div></body></html>")
    return first(root, "body > div") if root is not None else None


def _field_nodes(root, selectors: Selectors) -> MetaFields:
    """Fields a profile points at one by one: a node's text or a <meta>'s content."""
    values = {}
    for name in FIELD_SELECTORS:
        node = first(root, selectors.field(name)) if selectors.field(name) else None
        if node is None:
            continue
        value = _value_of(node)
        if value:
            values[name] = value
    return MetaFields(**values)


def _value_of(node) -> str:
    return clean_line(node.get("content") or "") if node.tag == "meta" else text_of(node)


def _counter(
    text: str, url: str, profile: SiteProfile | None, found: Counter | None, printed: int | None
) -> tuple[str | None, str | None]:
    """(counter URL, how to read its reply). A profile's counter settings win; without one,
    a counter found in the page is reported when the page prints no count itself."""
    if profile is not None and profile.view_mode not in ("static", "none"):
        views = profile.views
        found_url = find_counter_url(
            text, url, views.counter, views.counter_url, profile.article_id(url)
        )
        return found_url, profile.view_mode if found_url else None
    if found is None or printed is not None:
        return None, None
    return found.url, found.kind


def _section_from_breadcrumb(node) -> str | None:
    if node is None:
        return None
    text = re.sub(r"^.*?(当前位置|您的位置|所在位置)\s*[:：]?", "", _value_of(node))
    parts = [p for p in _BREADCRUMB_SPLIT.split(text) if p and p not in _NOT_SECTIONS]
    return parts[-1] if parts else None


def _images(body_node, url: str) -> tuple[str, ...]:
    if body_node is None:
        return ()
    found = []
    for img in body_node.iter("img"):
        src = (img.get("src") or "").strip()
        if src and not src.startswith("data:"):
            absolute = urljoin(url, src)
            if absolute not in found:
                found.append(absolute)
    return tuple(found)


def _empty(url: str, profile: SiteProfile | None, charset: str, warnings) -> Article:
    return Article(
        url=url,
        site=profile.name if profile else None,
        title=None,
        published_at=None,
        published_raw=None,
        published_precision=None,
        view_count=None,
        view_count_raw=None,
        body="",
        body_html="",
        source=None,
        editor=None,
        author=None,
        section=None,
        images=(),
        charset=charset,
        warnings=tuple(warnings),
    )
