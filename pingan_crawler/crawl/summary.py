"""What a crawl did, for people and for cron: one summary line per site, one exit code per run.

The exit codes are the README's ("Exit codes"); the worst outcome over all sites decides.
Everything here reads Scrapy's stats dict only, so it is pure and cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping

from pingan_crawler.crawl.glue import end_reason

EXIT_OK = 0  # every site finished, no error
EXIT_ERRORS = 1  # finished, but some pages failed (or the run ended for another reason)
EXIT_USAGE = 2  # bad arguments or profile: nothing was crawled
EXIT_BLOCKED = 3  # an anti-bot challenge stopped a site
EXIT_LOCKED = 4  # another run holds a site's lock: nothing was crawled
EXIT_INTERRUPTED = 5  # SIGTERM/SIGINT: stopped early, the crawl row says "interrupted"
EXIT_WRITE_FAILED = 6  # the archive could not be written (disk full, read-only…): stopped

# Worse outcomes win: an interrupted run must not look like a merely erroneous one.
_SEVERITY = (EXIT_OK, EXIT_ERRORS, EXIT_BLOCKED, EXIT_INTERRUPTED, EXIT_WRITE_FAILED)

Stats = Mapping[str, object]


def finish_reason(stats: Stats) -> str:
    """How the crawl ended, in our words (``finished``, ``interrupted``, ``blocked`` …)."""
    return end_reason(str(stats.get("finish_reason", "?")))


def blocked_note(stats: Stats) -> str:
    """What the summary adds when an anti-bot challenge stopped the site."""
    vendor = stats.get("archive/blocked_by")
    if not vendor:
        return ""
    return (
        f"; BLOCKED by {vendor} at {stats.get('archive/blocked_url', '?')}: site stopped for "
        f"this run (`pingan errors`)"
    )


def write_note(stats: Stats, db: str) -> str:
    """What the summary adds when the archive could not be written: never a success."""
    failure = stats.get("archive/write_failed")
    if not failure:
        return ""
    note = (
        f"; WRITE FAILED: could not write to {db}: {failure}; crawl stopped, "
        f"{_count(stats, 'archive/not_stored')} fetched items not stored: free space or fix "
        f"the cause, then run again (what was not stored is fetched again)"
    )
    if unfinished := stats.get("archive/row_unfinished"):
        note += f"; the crawl row could not be marked either ({unfinished})"
    return note


def _count(stats: Stats, key: str) -> int:
    return int(stats.get(key, 0) or 0)


def warnings_of(stats: Stats) -> int:
    """Error rows that do not fail the run: list pages heuristics found that failed (a nav
    link guessed from a homepage answering 404)."""
    return _count(stats, "archive/warnings/heuristic")


def errors_note(stats: Stats) -> str:
    errors, warnings = _count(stats, "archive/errors"), warnings_of(stats)
    if not warnings:
        return f"{errors} errors"
    return f"{errors} errors ({warnings} of them warnings: links found by heuristics that failed)"


def limits_note(stats: Stats) -> str:
    """What the summary adds when a bound of the crawl was reached (docs/crawl-side.md)."""
    notes = []
    if paused := stats.get("archive/paused_url"):
        notes.append(
            f"PAUSED: {paused} asked to wait {stats.get('archive/paused_seconds', '?')} s "
            f"(Retry-After): site stopped for this run, crawl it again after that"
        )
    if limited := _count(stats, "archive/rate_limited") - (1 if paused else 0):
        notes.append(f"{limited} pages not retried: Retry-After over PINGAN_RETRY_MAX_WAIT")
    if cap := stats.get("archive/capped/requests"):
        notes.append(f"stopped at {cap} requests (PINGAN_HEURISTIC_MAX_REQUESTS)")
    if capped := _count(stats, "archive/capped/list_pages"):
        notes.append(f"{capped} sections stopped at PINGAN_HEURISTIC_MAX_LIST_PAGES")
    if repeating := _count(stats, "archive/stopped/nothing_new"):
        notes.append(f"{repeating} sections stopped paging at pages that brought nothing new")
    if cut := _count(stats, "archive/capped/article_pages"):
        notes.append(f"{cut} multi-page articles cut at PINGAN_MAX_ARTICLE_PAGES")
    return "".join(f"; {note}" for note in notes)


def summary(site: str, sections: int, stats: Stats, db: str) -> str:
    """The line a local crawl prints per site."""
    get = stats.get
    return (
        (
            f"{site}: {sections} sections, {get('downloader/response_count', 0)} pages fetched, "
            f"{get('archive/new', 0)} articles stored, {get('archive/updated', 0)} updated, "
            f"{get('archive/duplicate', 0)} duplicates merged, {errors_note(stats)} "
            f"({finish_reason(stats)}) → {db}"
        )
        + write_note(stats, db)
        + blocked_note(stats)
        + limits_note(stats)
    )


def views_summary(site: str, stats: Stats, db: str) -> str:
    """The line ``pingan refresh-views`` prints per site: how many readings it took."""
    get = stats.get
    return (
        (
            f"{site}: {get('archive/view_readings', 0)} view readings of recent articles, "
            f"{get('downloader/response_count', 0)} pages fetched, {errors_note(stats)} "
            f"({finish_reason(stats)}) → {db}"
        )
        + write_note(stats, db)
        + blocked_note(stats)
        + limits_note(stats)
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def recheck_summary(site: str, stats: Stats, db: str) -> str:
    """The line a recheck prints per site (``pasxw: 412 rechecked, 3 edited, 2 removed, 0
    restored, 1 error``); articles left for the next run by ``--max`` are said too."""
    get = stats.get
    due, asked = _count(stats, "recheck/due"), _count(stats, "recheck/asked")
    left = f"; {due - asked} more due (--max)" if due > asked else ""
    if not due:
        left = "; nothing was due (--all rechecks every article now)"
    return (
        (
            f"{site}: {get('recheck/judged', 0)} rechecked, {get('archive/updated', 0)} edited, "
            f"{get('archive/removed', 0)} removed, {get('archive/restored', 0)} restored, "
            f"{_plural(_count(stats, 'archive/errors'), 'error')}{left} "
            f"({finish_reason(stats)}) → {db}"
        )
        + write_note(stats, db)
        + blocked_note(stats)
    )


def worker_summary(site: str, stats: Stats, redis_url: str) -> str:
    """The line a distributed worker prints: what it fetched and handed to the writer."""
    get = stats.get
    role = "seeded the run" if get("redis/seeded") else "joined the run"
    return (
        f"{site}: worker {role}, {get('downloader/response_count', 0)} pages fetched, "
        f"{get('redis/items_pushed', 0)} items and {get('redis/errors_pushed', 0)} errors "
        f"queued for `pingan ingest` ({finish_reason(stats)}) → {redis_url}"
    )


def site_exit_code(stats: Stats, errors: int | None = None) -> int:
    """One site's outcome; ``errors`` overrides the archive's error count (a worker's)."""
    reason = finish_reason(stats)
    if errors is None:
        errors = _count(stats, "archive/errors") - warnings_of(stats)
    if stats.get("archive/write_failed"):
        return EXIT_WRITE_FAILED
    if reason == "interrupted":
        return EXIT_INTERRUPTED
    if stats.get("archive/blocked"):
        return EXIT_BLOCKED
    if errors or reason != "finished":
        return EXIT_ERRORS
    return EXIT_OK


def worst(codes) -> int:
    """The worst of several outcomes (:data:`EXIT_OK` for none)."""
    return max([EXIT_OK, *codes], key=_SEVERITY.index)


def exit_code(all_stats: Mapping[str, Stats]) -> int:
    """A local run's exit code: the worst outcome over all sites."""
    return worst(site_exit_code(stats) for stats in all_stats.values())


def worker_exit_code(all_stats: Mapping[str, Stats]) -> int:
    """A worker's exit code: the errors it queued for the writer count as its errors."""
    return worst(
        site_exit_code(stats, int(stats.get("redis/errors_pushed", 0) or 0))
        for stats in all_stats.values()
    )
