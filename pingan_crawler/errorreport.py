"""``pingan errors``: one run's errors grouped by kind, for the person reading cron mail."""

from __future__ import annotations

from pingan_crawler.errorkinds import KINDS, is_blocked, is_known
from pingan_crawler.storage import Archive


def errors_report(archive: Archive, crawl_id: int | None = None, examples: int = 3) -> list[str]:
    """Lines describing crawl ``crawl_id`` (default: the latest) and its errors by kind.

    Raises LookupError when there is no such crawl.
    """
    crawl = archive.crawls.get(crawl_id)
    if crawl is None:
        which = f"crawl #{crawl_id}" if crawl_id is not None else "any crawl"
        raise LookupError(f"no {which} in {archive.path}")
    groups = archive.crawls.errors_by_kind(crawl["id"], examples)
    total = sum(g["count"] for g in groups)
    outcome = crawl["finish_reason"] or "still running or killed"
    lines = [
        f"crawl #{crawl['id']} {crawl['site']} {crawl['started_at']} ({outcome}): "
        f"{total} error{'s' if total != 1 else ''}"
        + (f"; blocked by {crawl['blocked_by']}" if crawl.get("blocked_by") else "")
    ]
    for group in groups:
        kind = group["kind"]
        meaning = KINDS.get(kind) or (
            KINDS["blocked:<vendor>"] if is_blocked(kind) else "unknown kind"
        )
        lines.append(f"  {kind:<18} {group['count']:>5}  {meaning}")
        for url, _detail, status in group["examples"]:
            lines.append(f"      {url}" + (f"  [HTTP {status}]" if status else ""))
        lines.append(f"      e.g. {group['examples'][0][1]}")
        if group["count"] > len(group["examples"]):
            lines.append(f"      … and {group['count'] - len(group['examples'])} more")
        if not is_known(kind):
            lines.append("      (not in the error vocabulary: pingan_crawler/errorkinds.py)")
    return lines
