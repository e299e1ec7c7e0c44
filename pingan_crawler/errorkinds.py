"""The fixed vocabulary of ``errors.kind``: one place, so reports and queries can rely on it.

Every failed or refused page is one ``errors`` row of one of these kinds (docs/crawling.md;
docs/errors.md is generated from ``KINDS`` and ``ADVICE``). ``blocked:<vendor>`` is the only
family: the vendor comes from :mod:`pingan_crawler.parsing.challenge`.
"""

from __future__ import annotations

HTTP_STATUS = "http_status"
FETCH_FAILED = "fetch_failed"
TIMEOUT = "timeout"
TOO_LARGE = "too_large"
TRUNCATED = "truncated"
NOT_HTML = "not_html"
REDIRECT_LOOP = "redirect_loop"
REFUSED_REDIRECT = "refused_redirect"
OFFSITE = "offsite"
RATE_LIMITED = "rate_limited"
SOFT_404 = "soft_404"
NOT_AN_ARTICLE = "not_an_article"
ROBOTS_DISALLOWED = "robots_disallowed"
PARSE_ERROR = "parse_error"
BLOCKED_PREFIX = "blocked:"

# kind → what it means (printed by `pingan errors`); docs/errors.md is generated from it and ADVICE.
KINDS: dict[str, str] = {
    HTTP_STATUS: "the server answered 4xx/5xx (after retries for 5xx/429)",
    FETCH_FAILED: "connection refused, DNS, reset: no response at all (after retries)",
    TIMEOUT: "no complete answer within DOWNLOAD_TIMEOUT (after retries)",
    TOO_LARGE: "the body is larger than DOWNLOAD_MAXSIZE; raise it if the page is wanted",
    TRUNCATED: "the connection dropped before Content-Length bytes arrived (after retries)",
    NOT_HTML: "an image, PDF or other binary file served as an HTML page",
    REDIRECT_LOOP: "redirects (HTTP or meta refresh) lead back to a URL already visited, or "
    "too many redirects",
    REFUSED_REDIRECT: "a redirect off the site's hosts, or to a javascript:, file: or other "
    "non-web URL: not followed, nothing of its target fetched or kept",
    OFFSITE: "a link to another host: not fetched (a crawl stays on the site's hosts)",
    RATE_LIMITED: "429/503 asking to wait longer than PINGAN_RETRY_MAX_WAIT: not retried "
    "within the wait (a wait over PINGAN_RETRY_AFTER_STOP stops the site for this run)",
    SOFT_404: "a 'not found' answered as 200 (stub with a JS redirect, or redirected home)",
    NOT_AN_ARTICLE: "the page has no title or no body: an empty shell, a nav page",
    ROBOTS_DISALLOWED: "robots.txt forbids the URL (or fails with 5xx: site stopped)",
    PARSE_ERROR: "the parser raised on this page: a bug, keep the snapshot and report it",
    BLOCKED_PREFIX + "<vendor>": "an anti-bot challenge (ruishu, jiasule, yunsuo, aliyun, "
    "cloudflare, waf); the site is stopped for this run, exit code 3",
}

# kind → what to do about it.
ADVICE: dict[str, str] = {
    HTTP_STATUS: "a 404 is usually a dead link; many 5xx: try later",
    FETCH_FAILED: "check the host is up and reachable from here",
    TIMEOUT: "crawl later, or raise `-s DOWNLOAD_TIMEOUT=`",
    TOO_LARGE: "raise `-s DOWNLOAD_MAXSIZE=` if the page is wanted",
    TRUNCATED: "nothing stored; the next run fetches it again",
    NOT_HTML: "an attachment linked as an article; ignore it or narrow the profile's `article_url`",
    REDIRECT_LOOP: "nothing to fetch; report it to the site if it matters",
    REFUSED_REDIRECT: "nothing to do: the crawl stays on the site (docs/hardening.md)",
    OFFSITE: "nothing to do; add the host to the profile if it is the same site",
    RATE_LIMITED: "crawl later or slower; a long wait stops the site (summary: PAUSED)",
    SOFT_404: "the article is gone; a homepage is never archived as an article",
    NOT_AN_ARTICLE: "if many: the profile's selectors no longer fit the template",
    ROBOTS_DISALLOWED: "drop that section from the profile; for a 5xx robots.txt, try later",
    PARSE_ERROR: "a bug: the snapshot is kept; report it with `pingan parse` on the page",
    BLOCKED_PREFIX + "<vendor>": "wait (hours), crawl slower, or ask the webmaster; never work "
    "around it (docs/crawling.md, Blocked sites)",
}


def blocked(vendor: str) -> str:
    """The kind of a page answered by ``vendor``'s anti-bot challenge."""
    return BLOCKED_PREFIX + vendor


def is_blocked(kind: str) -> bool:
    return kind.startswith(BLOCKED_PREFIX)


def is_known(kind: str) -> bool:
    return kind in KINDS or (is_blocked(kind) and len(kind) > len(BLOCKED_PREFIX))
