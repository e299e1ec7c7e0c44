"""The shared frontier: scrapy-redis's scheduler, made safe for workers that die.

scrapy-redis pops a request from the Redis queue and forgets it: a worker killed while it
fetches loses that request, and the persistent dupefilter then keeps it from ever being asked
for again. Here a pop moves the request atomically into the worker's *in-flight* hash; it is
removed once Scrapy has finished with it (its callback's items pushed, its new requests
queued). Every worker keeps a heartbeat key alive; any worker that finds a worker without a
heartbeat puts that worker's in-flight requests back in the queue (one Lua script, so two
finders cannot both do it).

Seeding: the first worker of a run claims the site's run key and puts the start requests (each
section's first list page, for known-articles skipping to stop early) into the queue; workers
that find the key held only take requests. The last live worker to leave deletes the key;
if all were killed it expires with their heartbeats. See README "Scaling out".
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from pingan_crawler.distributed.keys import SiteKeys

logger = logging.getLogger(__name__)

_WORKER_IDS: WeakKeyDictionary[Crawler, str] = WeakKeyDictionary()


def worker_id(crawler: Crawler) -> str:
    """One id per crawler (one site in one process): host, pid and a random suffix."""
    if crawler not in _WORKER_IDS:
        _WORKER_IDS[crawler] = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return _WORKER_IDS[crawler]


# Pop the best request and record it as in flight, in one step. The field name carries the
# queue score so that a requeue restores the priority.
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local field = ARGV[1] .. ':' .. popped[2]
redis.call('HSET', KEYS[2], field, popped[1])
return {popped[1], field}
"""

# Requeue the in-flight requests of every worker of this site whose heartbeat is gone.
# KEYS: requests, workers; ARGV: key prefix of the site (pingan:SITE:). Returns requests moved.
_RECOVER = """
local moved = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. 'worker:' .. worker) == 0 then
    local inflight = ARGV[1] .. 'inflight:' .. worker
    local entries = redis.call('HGETALL', inflight)
    for i = 1, #entries, 2 do
      local score = string.match(entries[i], ':([^:]*)$')
      redis.call('ZADD', KEYS[1], score, entries[i + 1])
      moved = moved + 1
    end
    redis.call('DEL', inflight)
    redis.call('SREM', KEYS[2], worker)
  end
end
return moved
"""

# Requests some live worker (other than ARGV[2]) still works on: its results may add requests.
_BUSY_ELSEWHERE = """
local busy = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if worker ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. 'worker:' .. worker) == 1 then
    busy = busy + redis.call('HLEN', ARGV[1] .. 'inflight:' .. worker)
  end
end
return busy
"""


class RedisFrontier(Scheduler):
    """scrapy-redis's Scheduler with per-site keys, in-flight tracking and idle closing.

    Also calls the stats collector without the ``spider`` argument Scrapy 2.19 deprecates.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontier:
        instance = cls.from_settings(crawler.settings)
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.worker = worker_id(crawler)
        instance.heartbeat_ttl = crawler.settings.getfloat("PINGAN_REDIS_HEARTBEAT", 30.0)
        instance.max_idle = crawler.settings.getfloat("MAX_IDLE_TIME_BEFORE_CLOSE", 30.0)
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    def open(self, spider) -> None:
        self.keys = SiteKeys(spider.profile.name)
        self.queue_key = self.keys.requests
        self.df = RFPDupeFilter(
            self.server, key=self.keys.dupefilter, debug=spider.settings.getbool("DUPEFILTER_DEBUG")
        )
        self._pop = self.server.register_script(_POP)
        self._recover = self.server.register_script(_RECOVER)
        self._busy_elsewhere = self.server.register_script(_BUSY_ELSEWHERE)
        self._inflight: dict = {}  # request → its field in our in-flight hash
        self._seq = 0
        self._last_busy = time.monotonic()
        self.server.sadd(self.keys.workers, self.worker)
        self._beat()
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.start(max(self.heartbeat_ttl / 3, 0.2), now=False)
        # Scrapy looks at an idle scheduler every 5 s; look every second, so that a worker
        # waiting for the seeder (or for requests other workers add) starts at once.
        self._poll = LoopingCall(self._wake_engine)
        self._poll.start(1.0, now=False)
        self.recover()
        super().open(spider)

    def _beat(self) -> None:
        ttl_ms = int(self.heartbeat_ttl * 1000)
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.heartbeat(self.worker), "1", px=ttl_ms)
            pipe.pexpire(self.keys.run, ttl_ms)
            pipe.execute()

    def _wake_engine(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def recover(self) -> int:
        """Requeue what dead workers left in flight; returns how many requests."""
        prefix = self.keys.requests.removesuffix("requests")
        moved = self._recover(keys=[self.keys.requests, self.keys.workers], args=[prefix])
        if moved:
            logger.warning("requeued %d requests of dead workers", moved)
            self.stats.inc_value("redis/requeued_from_dead_workers", moved)
        return moved

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        self._ack_finished()
        self._seq += 1
        field = f"{self._seq}"
        popped = self._pop(keys=[self.keys.requests, self.keys.inflight(self.worker)], args=[field])
        if not popped:
            return None
        data, field = popped
        request = self.queue._decode_request(data)
        self._inflight[request] = field
        self._last_busy = time.monotonic()
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _ack_finished(self) -> None:
        """Forget in-flight requests Scrapy is done with (the engine no longer holds them)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        inprogress = slot.inprogress if slot is not None else set()
        done = [request for request in self._inflight if request not in inprogress]
        if done:
            fields = [self._inflight.pop(request) for request in done]
            self.server.hdel(self.keys.inflight(self.worker), *fields)

    def has_pending_requests(self) -> bool:
        return len(self) > 0

    def spider_idle(self, spider) -> None:
        """Stay while the frontier may still grow; leave after MAX_IDLE_TIME_BEFORE_CLOSE."""
        self._ack_finished()
        self.recover()
        prefix = self.keys.requests.removesuffix("requests")
        busy = self._busy_elsewhere(keys=[self.keys.workers], args=[prefix, self.worker])
        if len(self) or busy:
            self._last_busy = time.monotonic()
            raise DontCloseSpider
        if self.max_idle <= 0 or time.monotonic() - self._last_busy < self.max_idle:
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        # The engine waited for every request in progress, so all we took is done.
        self._ack_finished()
        leftover = self.server.hlen(self.keys.inflight(self.worker))
        for loop in (self._heartbeat, self._poll):
            if loop.running:
                loop.stop()
        with self.server.pipeline() as pipe:
            pipe.delete(self.keys.heartbeat(self.worker))
            pipe.execute()
        if leftover:
            self.recover()  # we are "dead" now: our own leftovers go back to the queue
        self.server.srem(self.keys.workers, self.worker)
        alive = [
            w
            for w in self.server.smembers(self.keys.workers)
            if self.server.exists(self.keys.heartbeat(w.decode() if isinstance(w, bytes) else w))
        ]
        if not alive:
            self.server.delete(self.keys.run)  # the run is over: the next one seeds again
        super().close(reason)


class SeedOnce:
    """Spider middleware: only the worker that claims the run puts start requests in.

    The spider's ``start()`` still runs in every worker (it loads the known-articles state);
    the others drop what it yields.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnce:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator) -> AsyncIterator:
        from scrapy_redis.connection import get_redis_from_settings

        settings = self.crawler.settings
        server = get_redis_from_settings(settings)
        site = self.crawler.spider.profile.name
        me = worker_id(self.crawler)
        ttl_ms = int(settings.getfloat("PINGAN_REDIS_HEARTBEAT", 30.0) * 1000)
        seeding = bool(server.set(SiteKeys(site).run, me, nx=True, px=ttl_ms))
        holder = me if seeding else server.get(SiteKeys(site).run)
        logger.info(
            "run of %s %s (holder %s)", site, "seeded here" if seeding else "joined", holder
        )
        self.crawler.stats.set_value("redis/seeded", seeding)
        async for item_or_request in start:
            if seeding:
                yield item_or_request
            else:
                self.crawler.stats.inc_value("redis/start_requests_left_to_seeder")
