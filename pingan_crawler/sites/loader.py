"""Loading site profiles: TOML files, family bases, validation and lookup.

A profile may say ``extends = "trs"`` to start from a CMS-family base
(``sites/families/trs.toml``): the site file then holds only its name, base URL, sections and
what differs. Tables (``[selectors]``, ``[views]``, ``[pagination]``) merge key by key; any
other value in the site file replaces the family's.

Profiles are looked up in ``sites/`` and then in the directories of ``$PINGAN_SITES_PATH``
(``:``-separated), so tests and users can keep profiles of their own sites outside the package.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pingan_crawler.sites.profile import (
    FIELD_SELECTORS,
    PAGINATION_STYLES,
    VIEW_MODES,
    CheckRecord,
    Pagination,
    ProfileError,
    Section,
    Selectors,
    SiteProfile,
    Views,
)
from pingan_crawler.sites.regexcheck import BacktrackingPattern, check_linear

PROFILE_DIR = Path(__file__).parent
FAMILY_DIR = PROFILE_DIR / "families"
_TOP_KEYS = {
    "name",
    "title",
    "family",
    "extends",
    "base_url",
    "checked",
    "notes",
    "article_url",
    "list_url",
    "first_list_url",
    "first_page",
    "charset",
    "selectors",
    "views",
    "pagination",
    "sections",
}
_SELECTOR_KEYS = {"title", "meta", "body", "body_between", "breadcrumb", "remove", *FIELD_SELECTORS}
_VIEW_KEYS = {"mode", "counter", "counter_url", "fetch_counter"}
_PAGINATION_KEYS = {"style", "proxy_url", "perpage", "group", "form"}
_CHECKED_KEYS = {"date", "result", "sample", "sections", "articles", "requests", "summary"}
_SECTION_KEYS = {"id", "name"}  # any other key of a section is a URL-template variable


def _as_tuple(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value or ())


def _check_keys(data: dict, allowed: set[str], origin: str, where: str = "") -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ProfileError(
            f"{origin}: unknown key(s) {sorted(unknown)}{where}; allowed: {sorted(allowed)}"
        )


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _check_template(template: str, key: str, allowed: set[str], origin: str) -> None:
    try:
        names = _template_fields(template)
    except ValueError as exc:
        raise ProfileError(f"{origin}: {key} {template!r} is not a URL template: {exc}") from exc
    bad = names - allowed
    if bad:
        raise ProfileError(
            f"{origin}: {key} {template!r} uses {sorted(bad)}; it may only use "
            f"{sorted('{' + n + '}' for n in allowed)}"
        )


def _check_selector(selector: str, key: str, origin: str) -> None:
    from lxml.cssselect import CSSSelector, SelectorError  # lazily: loading a profile is light

    try:
        CSSSelector(selector)
    except SelectorError as exc:
        raise ProfileError(f"{origin}: {key} {selector!r} is not a CSS selector: {exc}") from exc


def _compile_url_regex(pattern: str, key: str, origin: str) -> re.Pattern[str]:
    """A profile regex matched against every link of a crawl: valid, and never able to
    backtrack for minutes on a long link (see regexcheck)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ProfileError(f"{origin}: {key} is not a valid regex: {exc}") from exc
    try:
        check_linear(pattern)
    except BacktrackingPattern as exc:
        raise ProfileError(f"{origin}: {key} {pattern!r}: {exc}") from exc
    return compiled


def _merge(base: dict, site: dict) -> dict:
    merged = dict(base)
    for key, value in site.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def load_family(name: str, origin: str = "") -> dict:
    """The raw data of a family base, ``sites/families/<name>.toml``."""
    path = FAMILY_DIR / f"{name}.toml"
    if not path.exists():
        known = ", ".join(family_names())
        raise ProfileError(f"{origin}: extends {name!r}: no such family; known: {known}")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    _check_keys(data, _TOP_KEYS - {"name", "extends"}, str(path))
    return data


def family_names() -> list[str]:
    return sorted(p.stem for p in FAMILY_DIR.glob("*.toml"))


def parse_profile(data: dict, origin: str) -> SiteProfile:
    """Build a profile from TOML data, rejecting unknown keys and bad values with clear errors."""
    _check_keys(data, _TOP_KEYS, origin)
    if data.get("extends"):
        data = _merge(load_family(data["extends"], origin), data)
        data.setdefault("family", data["extends"])
    if data.get("pagination", {}).get("style") == "discover":
        # Lists found by heuristics: a section is a list page or homepage URL, any link may do.
        data = {"article_url": ".", **data, "list_url": "{section}", "first_list_url": "{section}"}
    for key in ("name", "title", "base_url", "article_url", "list_url"):
        if not data.get(key):
            raise ProfileError(f"{origin}: missing required key {key!r}")
    selectors = data.get("selectors", {})
    _check_keys(selectors, _SELECTOR_KEYS, origin, " in [selectors]")
    between = _as_tuple(selectors.get("body_between"))
    if between and len(between) != 2:
        raise ProfileError(f"{origin}: selectors.body_between needs [begin, end] markers")
    for key, value in selectors.items():
        if key == "body_between":
            continue
        for selector in _as_tuple(value):
            _check_selector(selector, f"selectors.{key}", origin)
    article_re = _compile_url_regex(data["article_url"], "article_url", origin)
    sections = _sections(data.get("sections", []), origin)
    section_vars = set().union(*(dict(s.vars) for s in sections)) if sections else set()
    for key in ("list_url", "first_list_url"):
        _check_template(data.get(key, ""), key, {"section", "page", *section_vars}, origin)
    views = _views(data.get("views", {}), origin, article_re)
    pagination = _pagination(data.get("pagination", {}), origin, {"section", *section_vars})
    checked, check = _checked(data.get("checked", False), origin)
    return SiteProfile(
        name=data["name"],
        title=data["title"],
        base_url=data["base_url"].rstrip("/"),
        article_url=data["article_url"],
        list_url=data["list_url"],
        first_list_url=data.get("first_list_url", ""),
        first_page=int(data.get("first_page", 1)),
        family=data.get("family", ""),
        checked=checked,
        check=check,
        notes=data.get("notes", ""),
        charset=data.get("charset") or None,
        selectors=Selectors(
            title=selectors.get("title", ""),
            meta=_as_tuple(selectors.get("meta")),
            body=selectors.get("body", ""),
            breadcrumb=selectors.get("breadcrumb", ""),
            remove=_as_tuple(selectors.get("remove")),
            body_between=between,
            **{name: selectors.get(name, "") for name in FIELD_SELECTORS},
        ),
        views=views,
        pagination=pagination,
        sections=sections,
        origin=origin,
    )


def _checked(raw, origin: str) -> tuple[bool, CheckRecord | None]:
    """``checked = true|false``, or a ``[checked]`` table a live check wrote (date, result,
    sample size …): checked when its result is ``pass``."""
    if isinstance(raw, bool):
        return raw, None
    if not isinstance(raw, dict):
        raise ProfileError(
            f"{origin}: checked must be true, false or a [checked] table, not {raw!r}"
        )
    _check_keys(raw, _CHECKED_KEYS, origin, " in [checked]")
    result = raw.get("result")
    if result not in ("pass", "fail"):
        raise ProfileError(f"{origin}: checked.result must be 'pass' or 'fail', not {result!r}")
    if not raw.get("date"):
        raise ProfileError(f"{origin}: [checked] needs a date")
    numbers = {}
    for key in ("sample", "sections", "articles", "requests"):
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProfileError(f"{origin}: checked.{key} must be a whole number, not {value!r}")
        numbers[key] = value
    record = CheckRecord(str(raw["date"]), result, summary=str(raw.get("summary", "")), **numbers)
    return record.passed, record


def _sections(raw: list, origin: str) -> tuple[Section, ...]:
    sections = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "id" not in item or "name" not in item:
            raise ProfileError(f"{origin}: sections[{i}] needs an id and a name")
        extra = tuple((str(k), str(v)) for k, v in item.items() if k not in _SECTION_KEYS)
        sections.append(Section(str(item["id"]), str(item["name"]), extra))
    return tuple(sections)


def _views(raw: dict, origin: str, article_re: re.Pattern[str]) -> Views:
    _check_keys(raw, _VIEW_KEYS, origin, " in [views]")
    mode = raw.get("mode", "static")
    if mode not in VIEW_MODES:
        raise ProfileError(f"{origin}: views.mode {mode!r} is not one of {VIEW_MODES}")
    _compile_url_regex(raw.get("counter", ""), "views.counter", origin)
    counter_url = raw.get("counter_url", "")
    allowed = {"id"} if "id" in article_re.groupindex else set()
    _check_template(counter_url, "views.counter_url", allowed, origin)
    fetch = raw.get("fetch_counter", False)
    if not isinstance(fetch, bool):
        raise ProfileError(f"{origin}: views.fetch_counter must be true or false")
    return Views(mode, raw.get("counter", ""), counter_url, fetch)


def _pagination(raw: dict, origin: str, variables: set[str]) -> Pagination:
    _check_keys(raw, _PAGINATION_KEYS, origin, " in [pagination]")
    style = raw.get("style", "links")
    if style not in PAGINATION_STYLES:
        raise ProfileError(
            f"{origin}: pagination.style {style!r} is not one of {PAGINATION_STYLES}"
        )
    form = raw.get("form", {})
    for key, value in form.items():
        _check_template(str(value), f"pagination.form.{key}", variables, origin)
    if style == "hanweb" and not raw.get("proxy_url"):
        raise ProfileError(f"{origin}: pagination.style 'hanweb' needs pagination.proxy_url")
    return Pagination(
        style=style,
        proxy_url=raw.get("proxy_url", ""),
        perpage=int(raw.get("perpage", 15)),
        group=int(raw.get("group", 45)),
        form=tuple((str(k), str(v)) for k, v in form.items()),
    )


def _profile_dirs() -> list[Path]:
    extra = os.environ.get("PINGAN_SITES_PATH", "")
    return [PROFILE_DIR, *(Path(p) for p in extra.split(os.pathsep) if p)]


def profile_path(name: str) -> Path | None:
    for directory in _profile_dirs():
        path = directory / f"{name}.toml"
        if path.exists():
            return path
    return None


def is_profile_path(name: str) -> bool:
    """A profile given as a file (``tests/fixtures/hostile/profile.toml``), not a bundled name."""
    return name.endswith(".toml") or "/" in name


def load_profile(name: str) -> SiteProfile:
    """Load ``<name>.toml`` from the profile directories, or a profile file by its path (test
    sites, drafts); the error lists the known names when there is no such site."""
    if is_profile_path(name):
        path: Path | None = Path(name)
        if not path.is_file():
            raise ProfileError(f"no site profile file {name!r}")
    else:
        path = profile_path(name)
    if path is None:
        raise ProfileError(f"no site profile {name!r}; known sites: {', '.join(profile_names())}")
    return _load_file(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=256)
def _load_file(path: str, mtime_ns: int) -> SiteProfile:
    """Parsed once per file version: matching a URL to a profile reads every profile."""
    return load_profile_file(path)


def profile_names() -> list[str]:
    return sorted({p.stem for d in _profile_dirs() for p in d.glob("*.toml")})


def profile_for_url(url: str) -> SiteProfile | None:
    """The profile whose host and article pattern match ``url``, if any."""
    for name in profile_names():
        profile = load_profile(name)
        if profile.is_article_url(url):
            return profile
    return None


def generic_profile(start_urls: list[str], name: str = "") -> SiteProfile:
    """A profile for a site nobody wrote one for: each start URL is a section list page (or a
    homepage whose nav leads to them); links, paging and fields are found by heuristics."""
    if not start_urls:
        raise ProfileError("start_url: give at least one URL")
    hosts = set()
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ProfileError(f"start_url {url!r} is not an http(s) URL")
        hosts.add((parts.scheme, parts.netloc))
    if len(hosts) > 1:
        raise ProfileError(f"start_url: all URLs must be on one site, got {sorted(hosts)}")
    scheme, netloc = hosts.pop()
    sections = tuple(
        Section(
            url, (urlsplit(url).path or "/") + ("?" + urlsplit(url).query if "?" in url else "")
        )
        for url in start_urls
    )
    return SiteProfile(
        name=name or netloc,
        title="",
        base_url=f"{scheme}://{netloc}",
        article_url=".",
        list_url="{section}",
        first_list_url="{section}",
        pagination=Pagination(style="discover"),
        sections=sections,
        origin="start_url",
    )


def load_profile_file(path: str | Path) -> SiteProfile:
    """Load a profile from a file anywhere (a new profile being written)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    return parse_profile(data, str(path))


def check_profile(profile: SiteProfile) -> list[str]:
    """What a profile will fetch, as lines to show; raises ProfileError on a URL it cannot build.

    Loading already rejected unknown keys, bad selectors, regexes and templates; this builds
    every section's first two list URLs so a template that only fails with real values shows.
    """
    lines = []
    if not profile.sections:
        raise ProfileError(f"{profile.origin}: sections: no [[sections]]; nothing to crawl")
    for section in profile.sections:
        try:
            urls = [profile.list_page_url(section, profile.first_page + i) for i in (0, 1)]
            if profile.pagination.style == "hanweb":
                form = "&".join(f"{k}={v}" for k, v in profile.hanweb_form(section).items())
                then = f"POST {profile.absolute(profile.pagination.proxy_url)} {form}"
        except (KeyError, IndexError, ValueError) as exc:
            raise ProfileError(
                f"{profile.origin}: section {section.name!r}: cannot build its list URLs: {exc}"
            ) from exc
        for url in urls[:2]:
            if urlsplit(url).netloc != urlsplit(profile.base_url).netloc:
                raise ProfileError(
                    f"{profile.origin}: section {section.name!r}: list URL {url} is not on "
                    f"{profile.base_url}"
                )
        if profile.pagination.style != "hanweb":
            then = urls[1]
        lines.append(f"  {section.name}: {urls[0]} → {then}")
    return lines
