"""Run crawls in this process: the cron-grade local run, a distributed worker, and the primitive
both stand on (:func:`run_crawls`).

A local run (:func:`crawl`) holds each site's lock for its whole length, writes its log to
``logs/`` beside the archive, and goes fast only on loopback hosts. A worker (:func:`work`)
has no archive and no lock: the shared frontier in Redis is what keeps workers apart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pingan_crawler.crawl.args import CrawlArgs, Job, RecheckArgs, RefreshArgs, job_from_strings
from pingan_crawler.crawl.summary import (
    exit_code,
    recheck_summary,
    summary,
    views_summary,
    worker_exit_code,
    worker_summary,
)
from pingan_crawler.lock import crawl_locks
from pingan_crawler.parsing.urls import is_loopback

# The spider that carries out each kind of job.
SPIDERS = {
    CrawlArgs: "pingan_crawler.spiders.pingan.PinganSpider",
    RefreshArgs: "pingan_crawler.spiders.views.RefreshViewsSpider",
    RecheckArgs: "pingan_crawler.spiders.recheck.RecheckSpider",
}


def loopback_settings(base_url: str) -> dict:
    """Politeness delays exist for real sites; our own loopback server needs none."""
    assert is_loopback(base_url), base_url
    return {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


def fetched_from(job: Job) -> str:
    """Where a job's pages are fetched from: its mirror, else the site itself."""
    return job.profile.mirror_url or job.profile.base_url


def speed_settings(jobs: Sequence[Job]) -> dict:
    """Loopback speed when every site of the run is fetched from this machine, else nothing."""
    urls = [fetched_from(job) for job in jobs]
    if urls and all(is_loopback(url) for url in urls):
        return loopback_settings(urls[0])
    return {}


def _job(job: Job | Mapping[str, str]) -> tuple[str, Job]:
    """A job and the key its stats come back under: a dict job's ``site`` as given (a name, a
    profile's path), a typed job's profile name."""
    if isinstance(job, Mapping):
        parsed = job_from_strings(job)
        return str(job.get("site") or parsed.site), parsed
    return job.site, job


def run_crawls(
    jobs: Sequence[Job | Mapping[str, str]], db: str, settings_overrides: Mapping | None = None
) -> dict[str, dict]:
    """Run one crawl per job side by side in this process; Scrapy's stats by site.

    A job is a :class:`CrawlArgs` or :class:`RefreshArgs`, or a dict of spider-argument strings
    as ``scrapy crawl -a`` takes them (parsed here, once).
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    settings = Settings()
    settings.setmodule("pingan_crawler.settings", priority="project")
    settings.set("PINGAN_DB", db, priority="cmdline")
    settings.set("PINGAN_SUMMARY_ON_CLOSE", False, priority="cmdline")  # the caller prints it
    for key, value in (settings_overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for key, job in map(_job, jobs):
        spider = load_object(SPIDERS[type(job)])
        crawlers[key] = crawler = process.create_crawler(spider)
        process.crawl(crawler, args=job)
    process.start()
    return {key: crawler.stats.get_stats() for key, crawler in crawlers.items()}


@dataclass(frozen=True)
class CrawlResult:
    """What a run did: Scrapy's stats by site, its summary lines and its exit code."""

    jobs: tuple[Job, ...]
    stats: dict[str, dict]
    db: str
    log_file: Path | None = None
    redis_url: str = ""  # set for a distributed worker's run

    @property
    def summaries(self) -> list[str]:
        """One line per site, in the order the sites were named."""
        if self.redis_url:
            return [worker_summary(j.site, self.stats[j.site], self.redis_url) for j in self.jobs]
        return [
            recheck_summary(j.site, self.stats[j.site], self.db)
            if isinstance(j, RecheckArgs)
            else summary(j.site, len(j.profile.sections), self.stats[j.site], self.db)
            if isinstance(j, CrawlArgs)
            else views_summary(j.site, self.stats[j.site], self.db)
            for j in self.jobs
        ]

    @property
    def exit_code(self) -> int:
        return worker_exit_code(self.stats) if self.redis_url else exit_code(self.stats)


def run(jobs: Sequence[Job], db: str, settings: Mapping | None = None) -> CrawlResult:
    """Run the jobs with these settings; nothing else (no lock, no log file)."""
    return CrawlResult(tuple(jobs), run_crawls(jobs, db, settings), db)


def log_file_for(db: str, sites: Sequence[str], kind: str = "crawl") -> Path:
    """``logs/<kind>-<time>-<site>.log`` beside the archive (``N-sites`` for several)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = sites[0] if len(sites) == 1 else f"{len(sites)}-sites"
    path = Path(db).resolve().parent / "logs" / f"{kind}-{stamp}-{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _run_settings(jobs: Sequence[Job], log_file: Path, log_level: str, progress: bool) -> dict:
    return {
        "LOG_FILE": str(log_file),
        "LOG_LEVEL": log_level,
        "PINGAN_PROGRESS_INTERVAL": 2.0 if progress else 0,
        **speed_settings(jobs),
    }


def crawl(
    jobs: Sequence[Job],
    db: str,
    *,
    log_level: str = "INFO",
    settings: Mapping | None = None,
    progress: bool = False,
    on_stale_lock: Callable[[str, dict], None] | None = None,
) -> CrawlResult:
    """A local run: every site's lock held (all or none), a log file, then the crawls.

    ``settings`` (``-s NAME=VALUE``) win over everything else; ``progress`` prints progress
    lines on stderr; ``on_stale_lock(site, holder)`` hears of each lock a dead run left.
    Raises :class:`~pingan_crawler.lock.LockHeld` when another live run holds a site.
    """
    sites = [job.site for job in jobs]
    kind = "recheck" if all(isinstance(job, RecheckArgs) for job in jobs) else "crawl"
    log_file = log_file_for(db, sites, kind)
    # The log lives beside the archive: on a full disk its lines fail too, and the logging
    # module would print a traceback per line on stderr. The summary line says what happened.
    logging.raiseExceptions = False
    overrides = {**_run_settings(jobs, log_file, log_level, progress), **(settings or {})}
    with crawl_locks(db, sites) as stale:
        for site, holder in stale.items():
            if on_stale_lock is not None:
                on_stale_lock(site, holder)
        stats = run_crawls(jobs, db, overrides)
    return CrawlResult(tuple(jobs), stats, db, log_file)


def work(
    jobs: Sequence[Job],
    db: str,
    redis_url: str,
    *,
    max_idle: float = 30,
    log_level: str = "INFO",
    progress: bool = False,
) -> CrawlResult:
    """A distributed worker's run: the shared frontier and item queue in Redis, no archive,
    no lock; it leaves after ``max_idle`` seconds with nothing to do."""
    sites = [job.site for job in jobs]
    log_file = log_file_for(db, sites).with_name(
        f"worker-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
    )
    overrides = {
        "REDIS_URL": redis_url,
        "MAX_IDLE_TIME_BEFORE_CLOSE": max_idle,
        **_run_settings(jobs, log_file, log_level, progress),
    }
    stats = run_crawls(jobs, db, overrides)
    return CrawlResult(tuple(jobs), stats, db, log_file, redis_url)
