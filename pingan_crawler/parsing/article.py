"""Extract an :class:`Article` from one article page: bytes + URL + profile in, dataclass out."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from pingan_crawler.parsing.dates import parse_publish_time
from pingan_crawler.parsing.decode import decode_html
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
from pingan_crawler.sites import Selectors, SiteProfile

# Lines that end a body in most templates: meta labels, prev/next links, print/close buttons.
_TAIL_LINE = re.compile(
    r"^[【\[(（]?\s*(来源|文章来源|信息来源|稿源|责任编辑|责编|编辑|作者|审核|上一篇|下一篇|"
    r"上一条|下一条|打印本页|关闭窗口|【打印】|【关闭】|分享到)\s*[:：】\])）]?"
)
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|›|/|→)\s*")


def extract_article(
    body: bytes,
    url: str,
    profile: SiteProfile | None = None,
    content_type: str | None = None,
    now: datetime | None = None,
) -> Article:
    """Parse an article page. Never raises on bad input: problems land in ``warnings``."""
    selectors = profile.selectors if profile else Selectors()
    decoded = decode_html(body, content_type, override=profile.charset if profile else None)
    warnings = list(decoded.notes)
    root = parse_html(decoded.text)
    if root is None:
        return _empty(url, profile, decoded.charset, (*warnings, "empty or unparseable page"))

    meta_text = " ".join(text_of(n) for sel in selectors.meta for n in select(root, sel))
    title_node = first(root, selectors.title)
    title = text_of(title_node) if title_node is not None else None
    title = title or guess_title(root, profile.title if profile else "")
    breadcrumb = first(root, selectors.breadcrumb)

    body_node = first(root, selectors.body) if selectors.body else None
    if body_node is None:
        if selectors.body:
            warnings.append(f"body selector {selectors.body!r} matched nothing; body guessed")
        strip_noise(root, selectors.remove)
        body_node = guess_body_node(root)
    else:
        strip_noise(body_node, selectors.remove)

    lines: list[str] = []
    body_html = ""
    tail_meta = MetaFields()
    if body_node is not None:
        lines = lines_of(body_node)
        # Meta lines at the end of the body (来源:/责任编辑:) are fields, not text.
        while lines and _TAIL_LINE.match(lines[-1]):
            tail_meta = tail_meta.merged(parse_meta_line(lines.pop()))
        if title and lines and lines[0] == title:
            lines.pop(0)
        body_html = inner_html(body_node)

    meta = parse_meta_line(meta_text) if meta_text else MetaFields()
    meta = meta.merged(tail_meta)
    if meta == MetaFields() or not selectors.meta:
        meta = meta.merged(guess_meta(root))

    published = parse_publish_time(meta.published, now=now)
    if published.problem:
        warnings.append(f"publish time: {published.problem}")
    view_count = (
        parse_view_count(meta.views) if profile is None or profile.view_mode == "static" else None
    )
    if not is_blank_count(meta.views) and view_count is None:
        warnings.append(f"view count {meta.views!r} is not a non-negative integer")

    return Article(
        url=url,
        site=profile.name if profile else None,
        title=title or None,
        published_at=published.value,
        published_raw=meta.published,
        published_precision=published.precision,
        view_count=view_count,
        view_count_raw=meta.views,
        body="\n".join(lines),
        body_html=body_html,
        source=meta.source or None,
        editor=meta.editor or None,
        author=meta.author or None,
        section=_section_from_breadcrumb(breadcrumb),
        images=_images(body_node, url),
        charset=decoded.charset,
        warnings=tuple(warnings),
    )


def _section_from_breadcrumb(node) -> str | None:
    if node is None:
        return None
    text = re.sub(r"^.*?(当前位置|您的位置|所在位置)\s*[:：]?", "", clean_line(node.text_content()))
    parts = [p for p in _BREADCRUMB_SPLIT.split(text) if p and p not in ("首页", "网站首页")]
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
