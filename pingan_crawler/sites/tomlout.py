"""Write a drafted profile as commented TOML, and record a live check's outcome in one.

Hand-written rather than a TOML library: the layout is fixed, the values are strings, numbers,
booleans and string lists, and the comments beside each value (what the draft found and how
sure it is) are the point of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pingan_crawler.sites.profile import FIELD_SELECTORS, SiteProfile

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_string(value: str) -> str:
    """A TOML string; regexes come out as literal strings (no escaping to read through)."""
    if "\\" in value and "'" not in value and value.isprintable():
        return f"'{value}'"
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return toml_string(str(value))


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else toml_string(name)


def _line(key: str, value, comment: str = "") -> str:
    text = f"{_key(key)} = {toml_value(value)}"
    return f"{text}  # {comment}" if comment else text


def render_profile(profile: SiteProfile, family, plan, choices, notes: dict) -> str:
    """The drafted profile's TOML. With ``extends``, every key the draft decided is written,
    empty where it leaves a field to the generic extractor, so nothing of the family's stock
    template is assumed."""
    base = family.family.base if family.family else ""
    out = [
        f"# {profile.title or profile.name}: drafted by `pingan profile draft {notes['source']}`",
        f"# on {notes['date']} from {notes['requests']} requests ({notes['sections']} sections, "
        f"{notes['articles']} articles sampled).",
        f"# Check it live before relying on it: pingan profile check {profile.name}.toml",
        _line("name", profile.name),
        _line("title", profile.title),
    ]
    if base:
        confidence = f"{family.family.title}, {family.confidence}"
        out.append(_line("extends", base, f"{confidence}: {'; '.join(family.evidence[:3])}"))
    else:
        what = f"{family.family.title} (no bundled base)" if family.family else "none recognised"
        out.append(_line("family", family.family.name if family.family else "unknown", what))
    out += [
        _line("base_url", profile.base_url),
        _line("checked", False),
        _line("notes", f"drafted from {notes['source']} on {notes['date']}; not checked live yet"),
        "",
    ]
    pattern = notes["pattern"]
    shapes = len(pattern.clusters)
    out.append(
        f"# Article pages: generalised from {pattern.total} links on the list pages "
        f"({shapes} URL shape{'s' if shapes > 1 else ''})."
    )
    out.append(_line("article_url", profile.article_url))
    out.append(f"# List pages: {', '.join(plan.notes) or 'every URL seen rebuilds from these'}.")
    if plan.style != "discover":
        if profile.first_list_url or base:
            note = "page 1" if profile.first_list_url else "page 1 fits list_url"
            out.append(_line("first_list_url", profile.first_list_url, note))
        out.append(_line("list_url", profile.list_url))
        out.append(_line("first_page", profile.first_page, "the number of page 1 in list_url"))
    if profile.charset or base:
        out.append(_line("charset", profile.charset or "", notes["charset"]))
    else:
        out.append(f"# charset: {notes['charset']}; detected per page")
    out += ["", "[pagination]", _line("style", profile.pagination.style)]
    paging = profile.pagination
    if paging.style == "hanweb":
        out += [
            _line("proxy_url", paging.proxy_url),
            _line("perpage", paging.perpage, "records a list page shows"),
            _line("group", paging.group, "records one dataproxy request asks for"),
            "",
            "[pagination.form]  # the column page's jpage ajaxParam",
        ]
        out += [_line(k, v) for k, v in paging.form]
    views = profile.views
    out += ["", "[views]", f"# {notes['views']}", _line("mode", views.mode)]
    if views.counter or base:
        out.append(_line("counter", views.counter))
    if base:
        out.append(_line("counter_url", views.counter_url))
    out.append(_line("fetch_counter", False, "a counter adds a view per call: opt in knowingly"))
    out += [
        "",
        "[selectors]",
        '# Only selectors that beat the generic extractor on the sample; "" leaves the field',
        "# to it (pingan parse shows what it reads).",
    ]
    out += _selector_lines(profile, choices, bool(base))
    for section in profile.sections:
        out += ["", "[[sections]]", _line("id", section.id), _line("name", section.name)]
        out += [_line(k, v) for k, v in section.vars]
    return "\n".join(out) + "\n"


def _selector_lines(profile: SiteProfile, choices, explicit: bool) -> list[str]:
    selectors = profile.selectors
    body = choices.get("body")
    between = bool(selectors.body_between)
    notes = {
        key: choices[key].note
        for key in ("title", "published", "breadcrumb", "meta")
        if choices.get(key) is not None
    }
    if body is not None:
        notes["body_between" if between else "body"] = body.note
    lines = []
    for key in ("title", "body", "body_between", "meta", "breadcrumb", *FIELD_SELECTORS, "remove"):
        value = getattr(selectors, key)
        if value or explicit:
            value = list(value) if isinstance(value, tuple) else value
            lines.append(_line(key, value, notes.get(key, "")))
    return lines


# --- [checked] --------------------------------------------------------------------------

_CHECKED_LINE = re.compile(r"^checked\s*=.*$", re.M)
_TABLE = re.compile(r"^\s*\[{1,2}[^\]]+\]{1,2}", re.M)


def write_checked(path: Path, record: dict) -> None:
    """Put ``[checked]`` (date, result, sample size, counts) in the profile file, replacing
    a ``checked = …`` line or an earlier ``[checked]`` table; the file must still load."""
    from pingan_crawler.sites.loader import load_profile_file

    original = path.read_text("utf-8")
    text = _without_checked(original)
    lines = ["", "[checked]  # written by `pingan profile check --write`"]
    for key, value in record.items():
        lines.append(f"{key} = {value}" if key == "date" else _line(key, value))
    updated = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    path.write_text(updated, "utf-8")
    try:
        load_profile_file(path)
    except Exception:
        path.write_text(original, "utf-8")
        raise


def _without_checked(text: str) -> str:
    # The top-level `checked = …` line (before the first table header).
    first_table = _TABLE.search(text)
    head_end = first_table.start() if first_table else len(text)
    head = _CHECKED_LINE.sub("", text[:head_end], count=1)
    rest = text[head_end:]
    # An earlier [checked] table, up to the next table header.
    match = re.search(r"^\s*\[checked\][^\n]*\n", rest, re.M)
    if match:
        following = _TABLE.search(rest, match.end())
        end = following.start() if following else len(rest)
        rest = rest[: match.start()] + rest[end:]
    return re.sub(r"\n{3,}", "\n\n", head + rest)
