"""Site profiles: one TOML file per site. Site differences live here, as data, not in code."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

PROFILE_DIR = Path(__file__).parent
VIEW_MODES = ("static", "none")
_TOP_KEYS = {
    "name",
    "title",
    "family",
    "base_url",
    "checked",
    "article_url",
    "list_url",
    "first_list_url",
    "first_page",
    "charset",
    "selectors",
    "views",
    "sections",
}
_SELECTOR_KEYS = {"title", "meta", "body", "breadcrumb", "remove"}


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the key at fault."""


@dataclass(frozen=True)
class Section:
    id: str
    name: str


@dataclass(frozen=True)
class Selectors:
    """CSS selectors; an empty one means "find it heuristically"."""

    title: str = ""
    meta: tuple[str, ...] = ()
    body: str = ""
    breadcrumb: str = ""
    remove: tuple[str, ...] = ()


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
    checked: str = ""
    charset: str | None = None
    selectors: Selectors = field(default_factory=Selectors)
    view_mode: str = "static"
    sections: tuple[Section, ...] = ()
    # Where the site is actually fetched from when not from base_url (a local copy, a mirror).
    # Articles keep their public URL under base_url either way, so a copy and the real site
    # archive into the same identities.
    mirror_url: str = ""

    @property
    def article_re(self) -> re.Pattern[str]:
        return re.compile(self.article_url)

    def with_mirror(self, mirror_url: str) -> SiteProfile:
        """The same site served from ``mirror_url`` (a local copy, a mirror)."""
        return replace(self, mirror_url=mirror_url.rstrip("/"))

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

    def list_page_url(self, section: Section, page: int) -> str:
        """Public URL of page ``page`` (counted from ``first_page``) of a section list."""
        template = (
            self.first_list_url
            if page == self.first_page and self.first_list_url
            else self.list_url
        )
        return urljoin(
            self.base_url + "/", template.format(section=section.id, page=page).lstrip("/")
        )

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc != urlsplit(self.base_url).netloc:
            return False
        path = parts.path + ("?" + parts.query if parts.query else "")
        return bool(self.article_re.search(path))

    def section_named(self, name: str | None) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


def _as_tuple(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value or ())


def parse_profile(data: dict, origin: str) -> SiteProfile:
    """Build a profile from TOML data, rejecting unknown keys and bad values with clear errors."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ProfileError(
            f"{origin}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
        )
    for key in ("name", "title", "base_url", "article_url", "list_url"):
        if not data.get(key):
            raise ProfileError(f"{origin}: missing required key {key!r}")
    selectors = data.get("selectors", {})
    unknown = set(selectors) - _SELECTOR_KEYS
    if unknown:
        raise ProfileError(f"{origin}: unknown selector key(s) {sorted(unknown)}")
    try:
        re.compile(data["article_url"])
    except re.error as exc:
        raise ProfileError(f"{origin}: article_url is not a valid regex: {exc}") from exc
    for key in ("list_url", "first_list_url"):
        template = data.get(key, "")
        try:
            template.format(section="1", page=2)
        except (KeyError, IndexError, ValueError) as exc:
            raise ProfileError(
                f"{origin}: {key} {template!r} may only use {{section}} and {{page}}: {exc}"
            ) from exc
    view_mode = data.get("views", {}).get("mode", "static")
    if view_mode not in VIEW_MODES:
        raise ProfileError(f"{origin}: views.mode {view_mode!r} is not one of {VIEW_MODES}")
    return SiteProfile(
        name=data["name"],
        title=data["title"],
        base_url=data["base_url"].rstrip("/"),
        article_url=data["article_url"],
        list_url=data["list_url"],
        first_list_url=data.get("first_list_url", ""),
        first_page=int(data.get("first_page", 1)),
        family=data.get("family", ""),
        checked=data.get("checked", ""),
        charset=data.get("charset") or None,
        selectors=Selectors(
            title=selectors.get("title", ""),
            meta=_as_tuple(selectors.get("meta")),
            body=selectors.get("body", ""),
            breadcrumb=selectors.get("breadcrumb", ""),
            remove=_as_tuple(selectors.get("remove")),
        ),
        view_mode=view_mode,
        sections=tuple(Section(str(s["id"]), s["name"]) for s in data.get("sections", [])),
    )


def is_profile_path(name: str) -> bool:
    """A profile given as a file (``tests/fixtures/hostile/profile.toml``), not a bundled name."""
    return name.endswith(".toml") or "/" in name


def load_profile(name: str) -> SiteProfile:
    """Load ``sites/<name>.toml``, or a profile file by its path (test sites, drafts).

    The error lists the known names when there is no such site.
    """
    if is_profile_path(name):
        path = Path(name)
        if not path.is_file():
            raise ProfileError(f"no site profile file {name!r}")
    else:
        path = PROFILE_DIR / f"{name}.toml"
    if not path.exists():
        raise ProfileError(f"no site profile {name!r}; known sites: {', '.join(profile_names())}")
    with path.open("rb") as fh:
        return parse_profile(tomllib.load(fh), str(path))


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def profile_for_url(url: str) -> SiteProfile | None:
    """The profile whose host and article pattern match ``url``, if any."""
    for name in profile_names():
        profile = load_profile(name)
        if profile.is_article_url(url):
            return profile
    return None
