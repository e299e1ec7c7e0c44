"""Small lxml helpers shared by the extractors: parse, select, text with paragraph breaks."""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "ul",
    "ol",
    "dd",
    "dt",
    "center",
    "pre",
    "hr",
}
NOISE_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "object",
    "embed",
    "form",
    "button",
    "select",
)
FORM_TEXT_LIMIT = 500  # a search or login form holds less text than this; a page wrapper more
_SPACE = re.compile(r"[ \t\r\f\v\xa0\u3000\u2002\u2003\u200b]+")


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """Parse a document; None for an empty or unparseable one."""
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def select(root, selector: str) -> list:
    """CSS select; a broken selector raises ValueError naming it."""
    if not selector:
        return []
    if selector.startswith("meta[") and (head := root.find("head")) is not None:
        root = head  # <meta> lives in <head>: no need to walk the body for it
    return _compiled(selector)(root)


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> CSSSelector:
    """Translating CSS to XPath costs more than running it: compile each selector once."""
    try:
        return CSSSelector(selector)
    except SelectorError as exc:
        raise ValueError(f"bad CSS selector {selector!r}: {exc}") from exc


def first(root, selector: str):
    found = select(root, selector)
    return found[0] if found else None


def clean_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def lines_of(node) -> list[str]:
    """The node's text as non-empty lines, one per block element or ``<br>``.

    One walk over the tree, no copy (this runs on every body and meta node of every page)."""
    parts: list[str] = []
    for event, el in etree.iterwalk(node, events=("start", "end", "comment", "pi")):
        tag = el.tag if isinstance(el.tag, str) else None
        if event in ("comment", "pi"):
            if el is not node and el.tail:
                parts.append(el.tail)
            continue
        if event == "start":
            if tag in BLOCK_TAGS and tag != "br":
                parts.append("\n")
            if tag is not None and el.text:
                parts.append(el.text)
            continue
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if el is not node and el.tail:
            parts.append(el.tail)
    return [line for line in (clean_line(part) for part in "".join(parts).split("\n")) if line]


def short_text(node, limit: int, max_nodes: int = 200) -> str | None:
    """The node's text (as ``text_content()``) when it is at most ``limit`` characters in at
    most ``max_nodes`` elements, else None.

    Reads no further than that, so asking it of every link's row costs the same on a list of
    20 links and on a page of 200,000 in one ``<div>`` (where ``text_content()`` per link would
    read the whole page each time)."""
    parts: list[str] = []
    size = 0
    for count, el in enumerate(node.iter()):
        if count >= max_nodes:
            return None
        if isinstance(el.tag, str) and el.text:
            parts.append(el.text)
            size += len(el.text)
        if el is not node and el.tail:
            parts.append(el.tail)
            size += len(el.tail)
        if size > limit:
            return None
    return "".join(parts)


def text_of(node) -> str:
    return clean_line(" ".join(lines_of(node))) if node is not None else ""


def strip_noise(node, selectors: tuple[str, ...] = ()) -> None:
    """Remove scripts, styles, comments and the given selectors from ``node`` in place."""
    doomed = [
        el
        for el in node.iter(etree.Comment, *NOISE_TAGS)
        # ASP.NET WebForms wrap the whole page in one <form>: only small forms are noise.
        if not (el.tag == "form" and _wraps_content(el))
    ]
    for selector in selectors:
        doomed.extend(select(node, selector))
    drop_all_keeping_tails(doomed)


def drop_all_keeping_tails(elements) -> None:
    """Remove every element of ``elements``; their tail texts stay where they were.

    One pass per parent: removing 20,000 comments one by one glued each tail onto a growing
    string (and lxml re-encoded it every time): 80 s for one page, where this takes ms."""
    by_parent: dict = {}
    for el in elements:
        parent = el.getparent()
        if parent is not None:
            by_parent.setdefault(parent, set()).add(el)
    for parent, doomed in by_parent.items():
        text_parts = [parent.text or ""]
        target = text_parts  # where the next removed element's tail goes
        tails: list[tuple] = []
        for child in parent:
            if child in doomed:
                if child.tail:
                    target.append(child.tail)
                continue
            target = [child.tail or ""]
            tails.append((child, target))
        parent.text = "".join(text_parts) or None
        for child, parts in tails:
            child.tail = "".join(parts) or None
        for child in doomed:
            parent.remove(child)


def _wraps_content(form) -> bool:
    """A page-wrapping form holds headings or paragraphs; a search/login form does not."""
    if len(form.text_content()) > FORM_TEXT_LIMIT:
        return True
    return form.find(".//h1") is not None or len(form.findall(".//p")) >= 3


def drop_keeping_tail(el) -> None:
    """Remove an element; its tail text belongs to the parent and stays."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def inner_html(node) -> str:
    """The node's own HTML (its children, not the node's tag)."""
    parts = [node.text or ""]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in node]
    return "".join(parts).strip()
