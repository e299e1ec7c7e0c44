"""How a drafted profile walks its sections: list-URL templates and the paging style.

From each section's first list page URL (as the nav links it), the URL its page 1 names as
next page and, where page 2 was fetched, the URL page 2 names as next, this works out
``first_list_url``, ``list_url``, ``first_page``, the section ids and any per-section variable
(DedeCMS's ``list_<tid>_<n>``), and checks the result rebuilds every URL seen. Where no
template fits every section, sections become their list pages' URLs and paging is found on
each page by heuristics (``style = "discover"``), which always works where the pages link on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from pingan_crawler.parsing.urls import canonical_url
from pingan_crawler.sites.urlshapes import (
    Alignment,
    align,
    page_index,
    page_number_token,
    path_of,
    variable_name,
)


@dataclass
class SectionPages:
    """What the draft saw of one section's list."""

    name: str
    url: str  # page 1, as linked
    next_url: str | None = None  # the next page page 1 names
    third_url: str | None = None  # the next page page 2 names (when page 2 was fetched)
    hanweb: dict | None = None  # the jpage({...}) parameters of a Hanweb column page
    trs_pages: int | None = None  # createPageHTML's page count


@dataclass
class ListPlan:
    style: str
    first_list_url: str
    list_url: str
    first_page: int
    sections: list[dict]  # {"id", "name", vars…}
    pagination: dict = field(default_factory=dict)  # extra [pagination] keys (Hanweb)
    notes: list[str] = field(default_factory=list)
    templated: bool = True


def plan_lists(base_url: str, sections: list[SectionPages]) -> ListPlan:
    """The list part of the profile for these sections (see the module docstring)."""
    hanweb = [s for s in sections if s.hanweb]
    if hanweb and len(hanweb) * 2 >= len(sections):
        plan = _hanweb_plan(sections)
        if plan is not None:
            return plan
    style = "trs" if any(s.trs_pages is not None for s in sections) else "links"
    plan = _templated_plan(sections, style)
    if plan is not None and _rebuilds(base_url, plan, sections):
        return plan
    return discover_plan(sections, plan.notes if plan else [])


def discover_plan(sections: list[SectionPages], notes: list[str]) -> ListPlan:
    notes = [*notes, "no URL template fits every section: paging found on each page"]
    return ListPlan(
        "discover",
        "{section}",
        "{section}",
        1,
        [{"id": s.url, "name": s.name} for s in sections],
        notes=notes,
        templated=False,
    )


def _templated_plan(sections: list[SectionPages], style: str) -> ListPlan | None:
    notes: list[str] = []
    firsts = {s.name: path_of(s.url) for s in sections}
    paged = [s for s in sections if s.next_url]
    page_templates: dict[str, str] = {}
    for s in paged:
        marked = page_number_token(
            path_of(s.next_url), path_of(s.third_url) if s.third_url else None, firsts[s.name]
        )
        if marked is None:
            notes.append(f"{s.name}: no page number in {path_of(s.next_url)}")
            return None
        page_templates[s.name] = marked
    first_page = 1
    if paged:
        indexes = {page_index(path_of(s.next_url), page_templates[s.name]) for s in paged}
        if len(indexes) != 1 or None in indexes:
            notes.append(f"the second pages' numbers disagree: {sorted(map(str, indexes))}")
            return None
        first_page = indexes.pop() - 1
    # Section ids: what varies between the sections' first URLs, when one thing does.
    first_align = align(list(firsts.values())) if len(sections) > 1 else None
    if first_align is not None and first_align.gaps == 1:
        ids = {s.name: v[0] for s, v in zip(sections, first_align.values, strict=True)}
        first_tpl = first_align.template(["section"])
    else:
        ids = {s.name: firsts[s.name] for s in sections}
        first_tpl = "{section}"
    templates = [page_templates[s.name] for s in paged]
    if not paged:
        notes.append("no section showed a next page: each is one page long")
        rows = [{"id": ids[s.name], "name": s.name} for s in sections]
        return ListPlan(style, first_tpl, first_tpl, 1, rows, notes=notes)
    if len(paged) > 1:
        page_align = align(templates)
    else:
        page_align = _single_alignment(templates[0], ids[paged[0].name])
    if page_align is None:
        if len(paged) > 1:
            notes.append("the sections' later list pages have different shapes")
            return None
        page_align = Alignment([templates[0]], [[]])
    names, extra = _page_vars(paged, page_align, ids)
    if first_tpl == "{section}" and "section" in names and len(sections) > 1:
        # Ids came from the later pages; page 1 URLs are the sections' own.
        ids = {s.name: _id_in(s, paged, page_align, names) for s in sections}
        shape = _id_shape(paged, ids, firsts)
        for s in sections:
            if not ids[s.name]:
                match = shape.match(firsts[s.name]) if shape else None
                ids[s.name] = match.group(1) if match else _slug(firsts[s.name])
        first_tpl = "{first}"
        extra["first"] = dict(firsts)
    list_url = page_align.template(names)
    rows = []
    for s in sections:
        row = {"id": ids[s.name], "name": s.name}
        for var in extra:
            row[var] = extra[var].get(s.name, "")
        rows.append(row)
    if first_tpl != "{first}" and all(
        _fill(list_url, {**r, "section": r["id"], "page": first_page})
        == _fill(first_tpl, {**r, "section": r["id"]})
        for r in rows
    ):
        first_tpl = ""  # page 1 fits the template: no separate first URL
    missing = [s.name for s in sections if not s.next_url]
    unknown = sorted(set(extra) - {"first"})
    if missing and unknown:
        notes.append(f"{', '.join(missing)}: one page seen, so {', '.join(unknown)} unknown there")
    return ListPlan(style, first_tpl, list_url, first_page, rows, notes=notes)


def _slug(path: str) -> str:
    """A short id for a section known by its URL only: ``/tzgg/index.html`` → ``tzgg``."""
    base, _, query = path.partition("?")
    words = [re.sub(r"\.\w+$", "", w) for w in base.split("/")]
    words = [w for w in words if w and w.lower() not in ("index", "default", "list", "main")]
    if words:
        return words[-1]
    return re.sub(r"\W+", "-", query).strip("-") or path


def _id_shape(paged, ids: dict, firsts: dict) -> re.Pattern[str] | None:
    """Where the paged sections' first URLs hold their ids (``/c/{id}/``), as a regex, so a
    one-page section of the same shape gets its id the same way."""
    holding = [s for s in paged if ids.get(s.name) and ids[s.name] in firsts[s.name]]
    if not holding:
        return None
    heads, tails = set(), set()
    for s in holding:
        head, _, tail = firsts[s.name].partition(ids[s.name])
        heads.add(head)
        tails.add(tail)
    if len(heads) != 1 or len(tails) != 1:
        return None
    return re.compile("^" + re.escape(heads.pop()) + "(.+?)" + re.escape(tails.pop()) + "$")


def _id_in(section, paged, page_align, names) -> str | None:
    if section not in paged:
        return None
    values = page_align.values[paged.index(section)]
    return values[names.index("section")]


def _page_vars(paged, page_align, section_ids):
    """Names of the later pages' template gaps: the one holding each section's id (or, when
    page 1 URLs share no id, the one each section's page 1 URL contains) is ``section``;
    the others become per-section variables."""
    names = []
    extra: dict[str, dict[str, str]] = {}
    taken: set[str] = set()
    section_found = False
    for gap in range(page_align.gaps):
        values = {s.name: v[gap] for s, v in zip(paged, page_align.values, strict=True)}
        is_id = all(values[n] == section_ids[n] for n in values) or all(
            values[s.name] in section_ids[s.name] for s in paged
        )
        if not section_found and is_id:
            names.append("section")
            section_found = True
            continue
        name = variable_name(page_align.literals[gap], taken)
        names.append(name)
        extra[name] = values
    return names, extra


def _single_alignment(template: str, section_id: str) -> Alignment | None:
    """One paged section among several: its id is the only thing known to vary."""
    head, found, tail = template.rpartition(section_id)
    if not found:
        return None
    return Alignment([head, tail], [[section_id]])


def _fill(template: str, values: dict) -> str:
    return template.format(**{k: v for k, v in values.items()})


def _rebuilds(base_url: str, plan: ListPlan, sections: list[SectionPages]) -> bool:
    """Does the plan give back every list URL the draft saw?"""
    rows = {row["name"]: row for row in plan.sections}
    for s in sections:
        row = rows[s.name]
        values = {k: v for k, v in row.items() if k not in ("id", "name")}
        values["section"] = row["id"]
        first_tpl = plan.first_list_url or plan.list_url
        try:
            seen = [(s.url, _fill(first_tpl, {**values, "page": plan.first_page}))]
            if s.next_url:
                seen.append(
                    (s.next_url, _fill(plan.list_url, {**values, "page": plan.first_page + 1}))
                )
            if s.third_url:
                seen.append(
                    (s.third_url, _fill(plan.list_url, {**values, "page": plan.first_page + 2}))
                )
        except (KeyError, IndexError, ValueError):
            plan.notes.append(f"{s.name}: the templates cannot be filled")
            return False
        for url, built in seen:
            if canonical_url(url) != canonical_url(base_url + "/" + built.lstrip("/")):
                plan.notes.append(
                    f"{s.name}: template gives {built}, the site links {path_of(url)}"
                )
                return False
    return True


# --- Hanweb ---------------------------------------------------------------------------------

_JPAGE = re.compile(r"\.jpage\s*\(\s*\{")
_JS_PAIR = re.compile(r"(\w+)\s*:\s*('([^']*)'|\"([^\"]*)\"|\{|[^,}\s]+)")
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]+)['\"]", re.S | re.I)


def hanweb_params(text: str) -> dict | None:
    """The paging parameters of a Hanweb column page: its ``jpage({proxyUrl, perPage,
    groupSize, ajaxParam:{…}})`` call, else the ``<nextgroup>`` link of its datastore."""
    match = _JPAGE.search(text)
    if match:
        body = _braced(text, match.end() - 1)
        outer = _js_object(body)
        inner_start = body.find("ajaxParam")
        form = {}
        if inner_start >= 0:
            brace = body.find("{", inner_start)
            form = _js_object(_braced(body, brace)) if brace >= 0 else {}
        if outer.get("proxyUrl") and form:
            return {
                "proxy_url": outer["proxyUrl"],
                "perpage": int(outer.get("perPage", 15)),
                "group_size": int(outer.get("groupSize", 3)),
                "total": int(outer["totalRecord"])
                if outer.get("totalRecord", "").isdigit()
                else None,
                "form": form,
            }
    nextgroup = _NEXTGROUP.search(text)
    if nextgroup:
        href = nextgroup.group(1).replace("&amp;", "&")
        parts = urlsplit(href)
        fields = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"}
        form = {"col": "1", "appid": "1", **fields, "sourceContentType": "1"}
        return {
            "proxy_url": parts.path,
            "perpage": 15,
            "group_size": 3,
            "total": None,
            "form": form,
        }
    return None


def _braced(text: str, start: int) -> str:
    """``{…}`` starting at ``start`` (nested braces and quoted strings respected)."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return text[start + 1 :]


def _js_object(body: str) -> dict[str, str]:
    """The flat ``key: value`` pairs of a JS object literal (nested objects skipped)."""
    out: dict[str, str] = {}
    depth = 0
    i = 0
    while i < len(body):
        if body[i] == "{":
            depth += 1
        elif body[i] == "}":
            depth -= 1
        if depth == 0:
            match = _JS_PAIR.match(body, i)
            if match and (i == 0 or body[i - 1] in ", \n\t{"):
                key, raw = match.group(1), match.group(2)
                if raw != "{":
                    value = match.group(3) if match.group(3) is not None else match.group(4)
                    out[key] = value if value is not None else raw
                    i = match.end()
                    continue
        i += 1
    return out


def _hanweb_plan(sections: list[SectionPages]) -> ListPlan | None:
    first = align([path_of(s.url) for s in sections]) if len(sections) > 1 else None
    if len(sections) > 1 and (first is None or first.gaps != 1):
        return None
    ids = [v[0] for v in first.values] if first else [path_of(sections[0].url)]
    template = first.template(["section"]) if first else "{section}"
    params = [s.hanweb for s in sections if s.hanweb]
    proxy = params[0]["proxy_url"]
    perpage = params[0]["perpage"]
    group = perpage * max(1, params[0]["group_size"])
    keys = list(params[0]["form"])
    by_name = {s.name: (s.hanweb or {}).get("form", {}) for s in sections}
    form: dict[str, str] = {}
    rows = [{"id": i, "name": s.name} for i, s in zip(ids, sections, strict=True)]
    for key in keys:
        values = {name: f.get(key) for name, f in by_name.items() if f}
        distinct = set(values.values())
        if all(values[s.name] == i for s, i in zip(sections, ids, strict=True) if s.name in values):
            form[key] = "{section}"
        elif len(distinct) == 1:
            form[key] = distinct.pop() or ""
        else:
            form[key] = "{" + key + "}"
            for row, s in zip(rows, sections, strict=True):
                row[key] = values.get(s.name) or ""
    notes = [f"records by POST to {proxy}, {perpage} a page, {group} a request"]
    return ListPlan(
        "hanweb",
        template,
        template,
        1,
        rows,
        pagination={"proxy_url": proxy, "perpage": perpage, "group": group, "form": form},
        notes=notes,
    )
