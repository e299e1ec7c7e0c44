"""Distributed crawling on scrapy-redis: many workers share one frontier, one process writes.

Topology: worker processes (``pingan crawl --redis URL SITE``, or ``scrapy crawl pingan -s
REDIS_URL=URL``) on any machines share one request queue and dupefilter in Redis; they never
open the SQLite archive. Items, each with its page snapshot, go to a Redis list; ``pingan
ingest --redis URL --db PATH`` is the single writer that drains it through the same
validate → dedup → store steps as a local crawl.

``keys.py`` names the shared Redis keys, ``connection.py`` checks the optional packages and the
server, ``addon.py`` switches a crawl to worker mode when ``REDIS_URL`` is set, ``frontier.py``
is the shared scheduler, ``worker.py`` what a worker sends instead of writing SQLite,
``codec.py`` the messages on the wire and ``ingest.py`` the writer. Nothing here imports
scrapy-redis or redis: only the worker, frontier and writer modules do.
"""

from pingan_crawler.distributed.addon import DistributedAddon
from pingan_crawler.distributed.connection import INSTALL_HINT, redis_problem, require_redis
from pingan_crawler.distributed.keys import (
    DEAD_KEY,
    INGEST_LOCK_KEY,
    ITEMS_KEY,
    PREFIX,
    PROCESSING_KEY,
    SiteKeys,
)

__all__ = [
    "DEAD_KEY",
    "INGEST_LOCK_KEY",
    "INSTALL_HINT",
    "ITEMS_KEY",
    "PREFIX",
    "PROCESSING_KEY",
    "DistributedAddon",
    "SiteKeys",
    "redis_problem",
    "require_redis",
]
