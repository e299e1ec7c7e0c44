"""The data of a site profile: frozen dataclasses built by loader.py from a TOML file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

VIEW_MODES = ("static", "js_docwrite", "jq_html", "none")
PAGINATION_STYLES = ("links", "trs", "hanweb", "discover")
FIELD_SELECTORS = ("published", "source", "author", "editor", "views")


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the key at fault."""


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    # Extra template variables of this section (DedeCMS ``tid``, Hanweb ``unitid`` …).
    vars: tuple[tuple[str, str], ...] = ()

    def template_vars(self, page: int | None = None) -> dict[str, str | int]:
        values: dict[str, str | int] = {"section": self.id, **dict(self.vars)}
        if page is not None:
            values["page"] = page
        return values


@dataclass(frozen=True)
class Selectors:
    """CSS selectors; an empty one means "find it heuristically"."""

    title: str = ""
    meta: tuple[str, ...] = ()
    body: str = ""
    breadcrumb: str = ""
    remove: tuple[str, ...] = ()
    # The body is the HTML between two markers (Hanweb's <!--ZJEG_RSS.content.begin-->…end).
    body_between: tuple[str, ...] = ()
    # One field's node: its text, or the content= of a <meta> (TRS <meta name="PubDate">).
    published: str = ""
    source: str = ""
    author: str = ""
    editor: str = ""
    views: str = ""

    def field(self, name: str) -> str:
        return getattr(self, name)


@dataclass(frozen=True)
class Views:
    """Where an article's view count comes from.

    ``static``: the number is in the page's meta line. ``js_docwrite`` / ``jq_html``: a counter
    script prints it (``document.write('N')`` / ``$('#hits').html('N')``); ``none``: no count.
    Counter scripts usually add one view per call, so they are fetched only with
    ``fetch_counter = true``.
    """

    mode: str = "static"
    counter: str = ""  # regex a <script src>/<iframe src> must match to be the counter
    counter_url: str = ""  # or a template: {id} is the article_url regex's (?P<id>…) group
    fetch_counter: bool = False


@dataclass(frozen=True)
class Pagination:
    """How a section list goes on after its first page.

    ``links``: the next templated page when the page links to it, else a 下一页 link.
    ``trs``: the page count from ``createPageHTML(count, index, "index", "shtml")``.
    ``hanweb``: records embedded in a ``<datastore>``, later ones by POST to ``proxy_url``.
    ``discover``: no profile knowledge; article links and 下一页 found by heuristics.
    """

    style: str = "links"
    proxy_url: str = ""
    perpage: int = 15
    group: int = 45  # records per dataproxy request
    form: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CheckRecord:
    """The last live check (``pingan profile check --write``): the profile's ``[checked]``."""

    date: str
    result: str  # "pass" or "fail"
    sample: int = 0  # articles sampled per section
    sections: int = 0
    articles: int = 0
    requests: int = 0
    summary: str = ""

    @property
    def passed(self) -> bool:
        return self.result == "pass"


@dataclass(frozen=True)
class SiteProfile:
    name: str
    title: str
    base_url: str
    article_url: str
    list_url: str
    first_list_url: str = ""
    first_page: int = 1
    family: str = ""
    checked: bool = False
    notes: str = ""
    charset: str | None = None
    selectors: Selectors = field(default_factory=Selectors)
    views: Views = field(default_factory=Views)
    pagination: Pagination = field(default_factory=Pagination)
    sections: tuple[Section, ...] = ()
    origin: str = ""  # the file it was read from
    check: CheckRecord | None = None  # the last live check, if one was recorded
    # Where the site is actually fetched from when not from base_url (a local copy, a mirror).
    # Articles keep their public URL under base_url either way, so a copy and the real site
    # archive into the same identities.
    mirror_url: str = ""

    @property
    def view_mode(self) -> str:
        return self.views.mode

    @property
    def article_re(self) -> re.Pattern[str]:
        return re.compile(self.article_url)

    def with_mirror(self, mirror_url: str) -> SiteProfile:
        """The same site served from ``mirror_url`` (a local copy, a mirror)."""
        return replace(self, mirror_url=mirror_url.rstrip("/"))

    def with_counters(self) -> SiteProfile:
        """The same site with its counter scripts fetched (``--fetch-counters``): most add a
        view per call, so this is asked for, never the default."""
        return replace(self, views=replace(self.views, fetch_counter=True))

    def to_mirror(self, url: str) -> str:
        """The URL to fetch for a public URL."""
        if self.mirror_url and url.startswith(self.base_url + "/"):
            return self.mirror_url + url[len(self.base_url) :]
        return url

    def to_public(self, url: str) -> str:
        """The public URL of a fetched one."""
        if self.mirror_url and url.startswith(self.mirror_url + "/"):
            return self.base_url + url[len(self.mirror_url) :]
        return url

    def absolute(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def list_page_url(self, section: Section, page: int) -> str:
        """Public URL of page ``page`` (counted from ``first_page``) of a section list."""
        template = (
            self.first_list_url
            if page == self.first_page and self.first_list_url
            else self.list_url
        )
        return self.absolute(template.format(**section.template_vars(page)))

    def hanweb_form(self, section: Section) -> dict[str, str]:
        """The dataproxy.jsp form of a section, its templates filled in."""
        values = section.template_vars()
        return {key: value.format(**values) for key, value in self.pagination.form}

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc != urlsplit(self.base_url).netloc:
            return False
        path = parts.path + ("?" + parts.query if parts.query else "")
        return bool(self.article_re.search(path))

    def article_id(self, url: str) -> str | None:
        """The ``(?P<id>…)`` group of ``article_url`` in ``url``, if the regex names one."""
        parts = urlsplit(url)
        match = self.article_re.search(parts.path + ("?" + parts.query if parts.query else ""))
        return match.groupdict().get("id") if match else None

    def section_named(self, name: str | None) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)
