"""Heuristics for pages (or fields) a site profile does not pin down.

Used field by field: a profile selector wins when it matches, and these fill the gaps. They
rely only on what Chinese news pages share: an ``<h1>`` or ``<title>`` holding the headline
plus the site name, a meta line of labelled values, and a body that is the densest block of
paragraph text with few links.
"""

from __future__ import annotations

import re

from pingan_crawler.parsing.html import clean_line, first, lines_of, select
from pingan_crawler.parsing.meta import LABEL_RE, MetaFields, parse_meta_line

_TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜—–]+|\s{2,})\s*")
_CONTAINERS = ("div", "td", "article", "section", "span", "font", "center")


def guess_title(root, site_title: str = "") -> str | None:
    """``<h1>``, else og:title, else ``<title>`` with the site-name segment removed."""
    for node in select(root, "h1"):
        text = clean_line(node.text_content())
        if 4 <= len(text) <= 120:
            return text
    og = first(root, 'meta[property="og:title"]')
    if og is not None and og.get("content", "").strip():
        return clean_line(og.get("content"))
    title = first(root, "title")
    if title is None:
        return None
    text = clean_line(title.text_content())
    segments = [s for s in _TITLE_SPLIT.split(text) if s]
    if site_title:
        segments = [s for s in segments if site_title not in s] or segments
    return max(segments, key=len) if segments else None


def guess_meta(root) -> MetaFields:
    """Labelled values from the page's short label-bearing blocks, first occurrence winning.

    Templates split the meta over several places (date and count above the body, 来源 and
    责任编辑 below it), so every short block with a label contributes.
    """
    meta = MetaFields()
    for node in root.iter(*_CONTAINERS, "p", "li", "h2", "h3", "h4"):
        text = clean_line(node.text_content().replace("\n", " "))
        if text and len(text) <= 200 and LABEL_RE.search(text):
            meta = meta.merged(parse_meta_line(text))
    return meta


def _link_text_length(node) -> int:
    return sum(len(clean_line(a.text_content())) for a in node.iter("a"))


def guess_body_node(root):
    """The element whose direct paragraphs hold the most non-link text."""
    scores: dict = {}
    for para in root.iter("p", "br", "div", "td", "font", "span"):
        own = clean_line((para.text or "") + "".join(child.tail or "" for child in para))
        if para.tag == "p":
            own = clean_line(para.text_content())
        if len(own) < 10:
            continue
        weight = len(own) - 2 * _link_text_length(para) if para.tag == "p" else len(own)
        parent = para if para.tag in _CONTAINERS else para.getparent()
        for depth, node in enumerate((parent, parent.getparent() if parent is not None else None)):
            if node is not None and node.tag != "body":
                scores[node] = scores.get(node, 0) + weight / (depth + 1)
    if not scores:
        return None
    best = max(scores, key=lambda n: scores[n])
    # A body full of links is a nav or a list, not an article.
    total = sum(len(line) for line in lines_of(best)) or 1
    return best if _link_text_length(best) / total < 0.5 else None
