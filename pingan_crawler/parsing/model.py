"""The typed results of parsing. Frozen dataclasses: what a page says, plus how we read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Article:
    """One article page as extracted; raw strings are kept beside every normalised value."""

    url: str
    site: str | None
    title: str | None
    published_at: datetime | None
    published_raw: str | None
    published_precision: str | None
    view_count: int | None
    view_count_raw: str | None
    body: str
    body_html: str
    source: str | None
    editor: str | None
    author: str | None
    section: str | None
    images: tuple[str, ...]
    charset: str
    warnings: tuple[str, ...] = field(default=())
    # Later pages of a multi-page article (<id>_2.html, &Page=2, show-c-id-2.html) that this
    # page links to; the crawler fetches them and joins the bodies into this one article.
    continuations: tuple[str, ...] = field(default=())
    # The view counter script/iframe of the page, and how ``view_count`` was read: ``page``
    # (printed in the page) or the counter mode (``js_docwrite``/``jq_html``) when fetched.
    counter_url: str | None = None
    view_method: str = "page"
    pages: int = 1  # how many pages were joined into this article
    # Every credit line of the page, role → names in page order: (("编辑", ("张三",)),
    # ("审核", ("李四",))). ``editor`` and ``author`` are derived from these.
    credits: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    # The reporters' line (本报记者 张三 通讯员 李四, 执笔 王五): who reported, not 作者.
    byline: str | None = None
    # How to read the reply of ``counter_url`` when the page has no printed count:
    # js_docwrite, jq_html, plain, html or json (see parsing/counters.py).
    counter_kind: str | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """Required fields this page lacks; a page missing any of them is not an article."""
        return tuple(name for name in ("title", "body") if not getattr(self, name))

    def to_json(self) -> dict:
        """The user-facing field set of ``pingan parse`` and of the fixtures' expected JSON."""
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "publish_time": self.published_at.isoformat() if self.published_at else None,
            "publish_time_raw": self.published_raw,
            "view_count": self.view_count,
            "view_count_raw": self.view_count_raw,
            "section": self.section,
            "source": self.source,
            "editor": self.editor,
            "author": self.author,
            "byline": self.byline,
            "credits": [[role, list(names)] for role, names in self.credits],
            "images": list(self.images),
            "charset": self.charset,
            "counter_url": self.counter_url,
            "counter_kind": self.counter_kind,
            "continuations": list(self.continuations),
            "body": self.body,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Link:
    """A hyperlink on a list page, made absolute and canonical."""

    url: str
    text: str
    date: str | None = None  # the date printed beside the link on a list page, if any
