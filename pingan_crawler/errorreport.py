"""``pingan errors``: a run's errors grouped by kind, for the person reading cron mail.

By default the last run, whole: a run of several sites (``crawl --all``) keeps one ``crawls``
row per site, so the last run is the latest row together with every other site's last row
that ran at the same time (their spans overlap, one with the next). ``--crawl N`` shows one
row's errors.
"""

from __future__ import annotations

from pingan_crawler.errorkinds import KINDS, is_blocked, is_known
from pingan_crawler.storage import Archive


def _span(crawl: dict) -> tuple[str, str]:
    """A row's time span; a killed run (never finished) spans its start only."""
    started = crawl["started_at"] or ""
    return started, crawl["finished_at"] or started


def last_run(archive: Archive) -> list[dict]:
    """The crawls rows of the last run: the latest, and the other sites' last rows whose
    spans overlap it or another row of the run; oldest first."""
    latest = archive.crawls.get()
    if latest is None:
        return []
    others = []
    for row in archive.crawls.status():
        if row["crawl_id"] is not None and row["crawl_id"] != latest["id"]:
            crawl = archive.crawls.get(row["crawl_id"])
            if crawl is not None:
                others.append(crawl)
    run = [latest]
    if latest["finished_at"] is None:  # still running: it spans until now
        run_span = [(latest["started_at"], "9999")]
    else:
        run_span = [_span(latest)]
    grew = True
    while grew:
        grew = False
        for crawl in list(others):
            start, end = _span(crawl)
            if any(start <= until and since <= end for since, until in run_span):
                run.append(crawl)
                run_span.append((start, end))
                others.remove(crawl)
                grew = True
    return sorted(run, key=lambda crawl: crawl["id"])


def errors_report(archive: Archive, crawl_id: int | None = None, examples: int = 3) -> list[str]:
    """Lines describing crawl ``crawl_id`` (default: the last run, every site of it) and its
    errors by kind.

    Raises LookupError when there is no such crawl.
    """
    if crawl_id is not None:
        crawl = archive.crawls.get(crawl_id)
        crawls = [crawl] if crawl is not None else []
    else:
        crawls = last_run(archive)
    if not crawls:
        which = f"crawl #{crawl_id}" if crawl_id is not None else "any crawl"
        raise LookupError(f"no {which} in {archive.path}")
    lines = []
    if len(crawls) > 1:
        total = sum(g["count"] for c in crawls for g in archive.crawls.errors_by_kind(c["id"], 0))
        lines.append(
            f"last run: {len(crawls)} sites (crawls #{crawls[0]['id']}–#{crawls[-1]['id']}), "
            f"{total} error{'s' if total != 1 else ''}"
        )
    for crawl in crawls:
        lines += crawl_report(archive, crawl, examples)
    return lines


def crawl_report(archive: Archive, crawl: dict, examples: int) -> list[str]:
    """One crawls row's header line and its errors by kind."""
    groups = archive.crawls.errors_by_kind(crawl["id"], max(examples, 1))
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
        shown = group["examples"][:examples]
        for url, _detail, status in shown:
            lines.append(f"      {url}" + (f"  [HTTP {status}]" if status else ""))
        lines.append(f"      e.g. {group['examples'][0][1]}")
        if group["count"] > len(shown):
            lines.append(f"      … and {group['count'] - len(shown)} more")
        if not is_known(kind):
            lines.append("      (not in the error vocabulary: pingan_crawler/errorkinds.py)")
    return lines
