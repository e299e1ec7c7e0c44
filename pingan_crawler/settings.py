"""Scrapy settings. Defaults are polite enough for real government sites."""

import os

BOT_NAME = "pingan_crawler"
SPIDER_MODULES = ["pingan_crawler.spiders"]
NEWSPIDER_MODULE = "pingan_crawler.spiders"

# Where the archive lives; `pingan --db` and the PINGAN_DB variable set it too.
PINGAN_DB = os.environ.get("PINGAN_DB", "data/pingan.db")
# Who to contact about this crawler; put a real address here before crawling real sites.
PINGAN_CONTACT = os.environ.get("PINGAN_CONTACT", "set PINGAN_CONTACT to an e-mail address")
USER_AGENT = f"pingan-crawler/0.1 (news archive for research; contact: {PINGAN_CONTACT})"

# Politeness: one request at a time per host, about one per second, slower when the site is.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Retries wait first: Retry-After when the site sends one, else 2 s doubling per retry. A
# Retry-After longer than the cap is obeyed: that page is not retried in this run; one of
# PINGAN_RETRY_AFTER_STOP seconds or more on a 429/503 stops the site for this run.
# Challenges (412/521/…) are never retried: BlockDetection stops the site.
PINGAN_RETRY_BACKOFF = 2.0
PINGAN_RETRY_MAX_WAIT = 120.0
PINGAN_RETRY_AFTER_STOP = 600.0
# A crawl fetches from its site's hosts only (StayOnSite replaces Scrapy's OffsiteMiddleware);
# redirects off the site, to javascript:/file: URLs, or in a loop (HTTP or meta refresh) are
# refused with an error row.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "pingan_crawler.middlewares.StayOnSite": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "pingan_crawler.middlewares.PoliteRetry": 550,
    "pingan_crawler.middlewares.MetaRefreshGuard": 582,
    "pingan_crawler.middlewares.BlockDetection": 585,
    "pingan_crawler.middlewares.RedirectGuard": 610,
}
# Innermost spider middleware: a stop signal ends a long callback (pingan_crawler/shutdown.py).
SPIDER_MIDDLEWARES = {"pingan_crawler.shutdown.CallbackGuard": 1000}

ITEM_PIPELINES = {
    "pingan_crawler.pipelines.ValidatePipeline": 100,
    "pingan_crawler.pipelines.DedupPipeline": 200,
    "pingan_crawler.pipelines.StorePipeline": 300,
}
EXTENSIONS = {
    "pingan_crawler.shutdown.ShutdownGuard": 50,
    "pingan_crawler.extensions.CrawlRecord": 100,
    "pingan_crawler.extensions.Progress": 200,
}
# Incremental runs stop paging a section after this many list pages in a row that list only
# articles already archived (0: always walk every page).
PINGAN_STOP_AFTER_KNOWN_PAGES = 1
# A section stops paging at a list page that brought nothing new: every article it led to
# was a body already seen in this run under another URL (an endless calendar, fresh session
# ids, a pager that repeats itself). Its next page is asked for once its articles are done,
# so a section never runs ahead of what it brings (distributed workers page without waiting).
PINGAN_PAGE_AFTER_ARTICLES = True
# ... and after this many list pages in a row whose articles all failed (0: never).
PINGAN_STOP_AFTER_FAILED_PAGES = 2
# Crawls by heuristics (--start-url, no profile) are bounded: list pages per section and
# requests per site; the summary says when a cap was hit. --max-pages overrides the first.
PINGAN_HEURISTIC_MAX_LIST_PAGES = 100
PINGAN_HEURISTIC_MAX_REQUESTS = 5000
# Later pages joined into one multi-page article at most; a longer one is stored cut, with a
# warning on the article. A later page repeating an earlier one ends the article too.
PINGAN_MAX_ARTICLE_PAGES = 30
PINGAN_PROGRESS_INTERVAL = 2.0  # seconds between progress lines; 0 turns them off
# `scrapy crawl` prints the summary line `pingan crawl` prints (pingan crawl prints its own).
PINGAN_SUMMARY_ON_CLOSE = True
# `pingan recheck` (docs/takedowns.md): when an archived article is due to be looked at again,
# by its age: AGE:INTERVAL pairs, youngest first (daily in its first week, weekly to 90 days,
# monthly after). Before judging a site's articles, recheck fetches one of its list pages; if
# that fails too, the site is down, not its articles gone, and nothing is judged.
PINGAN_RECHECK_SCHEDULE = "7d:1d,90d:7d,*:30d"
PINGAN_RECHECK_PROBE = True

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Distributed crawling (README "Scaling out"): with REDIS_URL set (`pingan crawl --redis URL`,
# `scrapy crawl pingan -s REDIS_URL=…`) this add-on switches on the shared Redis frontier and
# item queue; without it, it does nothing.
ADDONS = {"pingan_crawler.distributed.addon.DistributedAddon": 0}
REDIS_URL = None
# Seconds a worker waits with nothing to do (queue empty, no live worker busy) before it exits,
# so cron runs end (scrapy-redis's setting; 0 waits forever).
MAX_IDLE_TIME_BEFORE_CLOSE = 30
# A worker silent this many seconds counts as dead: its unfinished requests go back in the queue.
PINGAN_REDIS_HEARTBEAT = float(os.environ.get("PINGAN_REDIS_HEARTBEAT", "30"))
# Set by the add-on in a distributed crawl: list pages bypass the (persistent) dupefilter.
PINGAN_LIST_PAGES_DONT_FILTER = False
