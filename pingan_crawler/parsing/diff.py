"""What changed between two versions of an article: field by field, the body by paragraph.

Pure functions over the fields a page says (title, publish time, source, editor, author,
body), never over bytes: a page re-fetched with another view count, another time in its
footer or another sidebar is the same article, and only the extracted fields can tell. Text is
compared after width and whitespace folding (NFKC, no spaces), so re-flowed HTML or a full-width
comma typed half-width is no edit; a publish time is compared at the precision both versions
give (a template that starts printing seconds is no edit either).

A view counter or a "更新时间" line that leaked into a body is masked before comparing (its
number moves on every fetch); any other number in the body is text, so an edited figure is
found.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from pingan_crawler.parsing.model import Article

# The fields a version is made of, in the order changes are reported.
VERSION_FIELDS = ("title", "published_at", "source", "editor", "author", "body")
META_FIELDS = ("published_at", "source", "editor", "author")
# ISO 8601 prefix lengths: how much of a time a precision covers.
_PRECISION_CHARS = {"day": 10, "minute": 16, "second": 19}
_SPACE = re.compile(r"\s+")
# A line that only counts visits or stamps a time: masked before bodies are compared.
_VOLATILE_LINE = re.compile(
    r"^[\[【(（]?\s*(?:浏览|阅读|点击|访问|查看)(?:次数|量|数)?\s*[:：]?\s*\d+\s*次?\s*[\]】)）]?$"
    r"|^[\[【(（]?\s*(?:更新时间|当前时间|今天是|最后更新|访问时间)\s*[:：]?.{0,30}$"
)


@dataclass(frozen=True)
class Fields:
    """One version's fields as compared: the text as stored, the time with its precision."""

    title: str | None
    published_at: str | None  # ISO 8601
    published_precision: str | None
    source: str | None
    editor: str | None
    author: str | None
    body: str

    @classmethod
    def of_article(cls, article: Article) -> Fields:
        return cls(
            article.title,
            article.published_at.isoformat() if article.published_at else None,
            article.published_precision,
            article.source,
            article.editor,
            article.author,
            article.body,
        )

    @classmethod
    def of_row(cls, row: Mapping) -> Fields:
        """From a stored row (``articles`` or ``article_versions``)."""
        return cls(
            row.get("title"),
            row.get("published_at"),
            row.get("published_precision"),
            row.get("source"),
            row.get("editor"),
            row.get("author"),
            row.get("body") or "",
        )


def fold(text: str | None) -> str:
    """Text as compared: width-folded (NFKC) with every whitespace character removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def passages(body: str) -> list[str]:
    """The body's paragraphs (one per line), blank lines left out."""
    return [line.strip() for line in body.splitlines() if line.strip()]


def _comparable(line: str) -> str:
    folded = fold(line)
    return "" if _VOLATILE_LINE.match(folded) else folded


def _same_time(old: Fields, new: Fields) -> bool:
    if old.published_at is None or new.published_at is None:
        return old.published_at == new.published_at
    chars = min(
        _PRECISION_CHARS.get(old.published_precision or "", 19),
        _PRECISION_CHARS.get(new.published_precision or "", 19),
    )
    return old.published_at[:chars] == new.published_at[:chars]


def _joined(lines: list[str], keys: list[str]) -> str:
    """A block's paragraphs, the masked ones left out."""
    return "\n".join(line for line, key in zip(lines, keys, strict=True) if key)


def body_changes(old: str, new: str) -> tuple[list[str], list[str]]:
    """The changed passages: ``(old passages, new passages)``, aligned one block each.

    A block is a run of consecutive paragraphs replaced, deleted (new side "") or inserted (old
    side ""); several paragraphs of one block are joined by newlines. Unchanged paragraphs are
    left out, so one edited figure in a long article is one short pair.
    """
    old_lines, new_lines = passages(old), passages(new)
    keys_old = [_comparable(line) for line in old_lines]
    keys_new = [_comparable(line) for line in new_lines]
    matcher = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False)
    before: list[str] = []
    after: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed = _joined(old_lines[i1:i2], keys_old[i1:i2])
        added = _joined(new_lines[j1:j2], keys_new[j1:j2])
        if fold(removed) == fold(added):
            continue  # only masked or blank lines differ
        before.append(removed)
        after.append(added)
    return before, after


def same_body(old: str, new: str) -> bool:
    return body_changes(old, new) == ([], [])


def field_changes(old: Fields, new: Fields) -> dict[str, list]:
    """``{field: [old, new]}`` for each field that differs; the body as its changed passages
    (``[[old passages], [new passages]]``)."""
    changes: dict[str, list] = {}
    for name in VERSION_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if name == "body":
            if fold(before) != fold(after):
                removed, added = body_changes(before, after)
                if removed or added:
                    changes["body"] = [removed, added]
        elif name == "published_at":
            if not _same_time(old, new):
                changes[name] = [before, after]
        elif fold(before) != fold(after):
            changes[name] = [before or None, after or None]
    return changes


def is_edit(changes: Mapping[str, list]) -> bool:
    """Whether changes make a new version: something now says something else.

    A field that only went missing (a 来源 line the page no longer shows, or the parser no
    longer finds) is no edit on its own: far more often a template or a parser lost it than an
    editor; it is recorded with the next real edit.
    """
    for name, (_before, after) in changes.items():
        if name == "body" or name == "title" or after not in (None, ""):
            return True
    return False


def similarity(old: str, new: str) -> float:
    """How much of two bodies is the same text, 0 to 1: the larger of the share of equal
    paragraphs and the share of the shorter text's 4-character runs found in the other (so an
    article edited in every paragraph is still itself, and another page is not)."""
    keys_old = [fold(line) for line in passages(old)]
    keys_new = [fold(line) for line in passages(new)]
    if not keys_old or not keys_new:
        return 0.0
    by_paragraph = difflib.SequenceMatcher(None, keys_old, keys_new, autojunk=False).ratio()
    grams_old, grams_new = _grams("".join(keys_old)), _grams("".join(keys_new))
    if not grams_old or not grams_new:
        return by_paragraph
    shared = len(grams_old & grams_new) / min(len(grams_old), len(grams_new))
    return max(by_paragraph, shared)


# Share of text two bodies must share to be one article (see :func:`similarity`).
SAME_ARTICLE_SIMILARITY = 0.5


def same_article(old_title: str | None, old_body: str, title: str | None, body: str) -> bool:
    """Whether a page is still the archived article, edited or not (the same title, or much of
    its text), rather than another page at its URL: a homepage or another article served in
    its place is a takedown, not an edit."""
    if title and old_title and fold(title) == fold(old_title):
        return True
    return similarity(old_body, body) >= SAME_ARTICLE_SIMILARITY


def _grams(text: str, size: int = 4) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}
