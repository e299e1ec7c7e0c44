"""Distributed crawls of sites with no profile: the start URLs travel through Redis.

A worker started with ``--start-url`` builds its site's generic profile from them and leaves
them in Redis (``pingan:<site>:start_urls``); a worker joining a run that is going on uses
the ones stored there, so every worker of the run has the same sections; and a worker named
only by the site (``pingan crawl --redis URL 127.0.0.1:8765``) finds them there too.
"""

from __future__ import annotations

import json

from pingan_crawler.distributed.keys import SiteKeys
from pingan_crawler.sites import ProfileError, SiteProfile, generic_profile


def _client(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url)


def _stored(client, site: str) -> list[str] | None:
    raw = client.get(SiteKeys(site).start_urls)
    if not raw:
        return None
    try:
        urls = json.loads(raw)
    except ValueError:
        return None
    return [str(url) for url in urls] if isinstance(urls, list) and urls else None


def shared_profile(redis_url: str, profile: SiteProfile) -> tuple[SiteProfile, str]:
    """The generic profile every worker of this run uses, and a note for the user ("" when
    nothing to say). A profile site's profile is returned as it is."""
    if profile.origin != "start_url":
        return profile, ""
    client = _client(redis_url)
    try:
        mine = [section.id for section in profile.sections]
        running = bool(client.exists(SiteKeys(profile.name).run))
        stored = _stored(client, profile.name)
        if running and stored and stored != mine:
            note = (
                f"joined the run of {profile.name} with its start URLs ({' '.join(stored)}), "
                f"not the ones given here"
            )
            return generic_profile(stored, profile.name), note
        client.set(SiteKeys(profile.name).start_urls, json.dumps(mine))
        return profile, ""
    finally:
        client.close()


def profile_from_redis(redis_url: str, site: str) -> SiteProfile:
    """The generic profile of a site named without start URLs, from a run's stored ones;
    ProfileError when Redis has none."""
    client = _client(redis_url)
    try:
        stored = _stored(client, site)
    finally:
        client.close()
    if not stored:
        raise ProfileError(
            f"no profile named {site!r}, and no distributed run of {site} left its start URLs "
            f"in Redis: start the first worker with --start-url"
        )
    return generic_profile(stored, site)
