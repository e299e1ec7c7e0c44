"""The fixed vocabulary of ``errors.kind``: one place, so reports and queries can rely on it.

Every failed or refused page is one ``errors`` row of one of these kinds (README, "When things go
wrong"). ``blocked:<vendor>`` is the only family: the vendor comes from
:mod:`pingan_crawler.parsing.challenge`.
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

# kind → what it means and what to do; the README table says the same.
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


def blocked(vendor: str) -> str:
    """The kind of a page answered by ``vendor``'s anti-bot challenge."""
    return BLOCKED_PREFIX + vendor


def is_blocked(kind: str) -> bool:
    return kind.startswith(BLOCKED_PREFIX)


def is_known(kind: str) -> bool:
    return kind in KINDS or (is_blocked(kind) and len(kind) > len(BLOCKED_PREFIX))
