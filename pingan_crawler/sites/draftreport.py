"""The drafter's report: what it found, from where, and how sure, as lines to print."""

from __future__ import annotations

from pingan_crawler.sites.fieldpick import Choice
from pingan_crawler.sites.listplan import ListPlan
from pingan_crawler.sites.urlshapes import path_of


def report_lines(
    drafter, family, sections, plan, pattern, charset_note, views_note, choices, samples, checks
) -> list[str]:
    """What the draft found and how sure, one line per finding (printed by the CLI)."""
    lines = [f"{drafter.name}: drafted from {drafter.url} with {drafter.fetcher.requests} requests"]
    if family.family:
        base = f", extends {family.family.base!r}" if family.family.base else ", no base"
        lines.append(
            f"family: {family.family.title} ({family.confidence}{base}): "
            + "; ".join(family.evidence[:4])
        )
    else:
        lines.append("family: none recognised (a custom CMS): no extends")
    lines.append(f"sections: {len(sections)} with article lists")
    for s in sections:
        seen = len(s.links)
        more = ""
        if s.page2_new is not None:
            more = f"; page 2 lists {s.page2_new} more"
        elif s.pages.next_url:
            more = "; links a next page"
        elif not s.pages.hanweb:
            more = "; no next page"
        lines.append(f"  {s.name}: {path_of(s.url)} ({seen} articles seen{more})")
    for line in drafter.left_out:
        lines.append(f"  left out: {line}")
    paged = checks["paged"]
    lines.append(
        f"pagination: {plan.style}, {_plan_text(plan)}; next page found on {paged} of "
        f"{len(sections)} sections, the profile rebuilds {checks['next_ok']} of them"
    )
    for note in plan.notes:
        lines.append(f"  {note}")
    lines.append(
        f"article URLs: {pattern.regex} ({pattern.total} links, "
        f"{len(pattern.clusters)} shape{'s' if len(pattern.clusters) > 1 else ''})"
    )
    if pattern.left_out:
        lines.append(f"  left out: {', '.join(pattern.left_out[:3])}")
    lines.append(f"charset: {charset_note}")
    lines.append(f"views: {views_note}")
    lines.append(f"fields ({len(samples)} articles sampled from {len(sections)} sections):")
    labels = {
        "title": "title",
        "published": "publish time",
        "body": "body",
        "breadcrumb": "section",
        "meta": "source/author/editor/views",
    }
    for key, label in labels.items():
        choice: Choice | None = choices.get(key)
        if choice is None:
            continue
        where = "selector" if choice.written else "generic"
        lines.append(f"  {label}: {where}: {choice.note}")
    if not samples:
        lines.append(
            "warning: no article could be sampled (request budget): every field is left to "
            "the generic extractor; draft again with a larger --max-requests"
        )
    lines += drafter.report
    lines.append(
        f"self-check: {checks['lists_ok']}/{checks['lists']} list pages give their articles,"
        f" {checks['articles_ok']}/{checks['articles']} articles their title and body"
    )
    return lines


def _plan_text(plan: ListPlan) -> str:
    if plan.style == "discover":
        return "each section's list page, paged by its own links"
    first = plan.first_list_url or plan.list_url
    if first == "{first}":
        first = "each section's own URL"
    elif first == "{section}":
        first = "the section's URL"
    if plan.style == "hanweb":
        return f"page 1 {first}, then POSTs to {plan.pagination['proxy_url']}"
    if "{page}" not in plan.list_url:
        return f"page 1 {first} only (no section showed a next page)"
    return f"page 1 {first}, then {plan.list_url} with page = {plan.first_page + 1}, …"
