"""Why a request gave nothing: the exceptions the middlewares raise, and the error kind (in the
vocabulary of errorkinds) with a message for any failed request.

The middlewares raise, the spiders' errbacks describe: both import this module, and it imports
neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from pingan_crawler import errorkinds


class Refused(IgnoreRequest):
    """A response the crawler will not use; the spider's errback records it as one error."""

    def __init__(self, kind: str, detail: str, response: Response | None = None):
        super().__init__(detail)
        self.kind, self.detail, self.response = kind, detail, response


class Blocked(IgnoreRequest):
    """A challenge, already recorded by ``BlockDetection``; nothing more to record."""


class SiteStopped(IgnoreRequest):
    """A request dropped because its site was stopped earlier in this run (a challenge, a long
    Retry-After, robots.txt failing)."""


class Interrupted(IgnoreRequest):
    """A request dropped unsent because the run is being interrupted (SIGTERM/SIGINT); the
    next run asks for it again."""


@dataclass(frozen=True)
class FailureReport:
    kind: str
    detail: str
    response: Response | None = None


def already_handled(failure: Failure) -> bool:
    """Blocks are recorded where they are detected; requests after a block are just dropped."""
    return bool(failure.check(Blocked, SiteStopped, Interrupted))


def describe_failure(failure: Failure, url: str) -> FailureReport:
    """The error kind and a message that says what happened to ``url`` and what to do."""
    exc = failure.value
    message = failure.getErrorMessage()
    if isinstance(exc, Refused):
        return FailureReport(exc.kind, exc.detail, exc.response)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return FailureReport(errorkinds.HTTP_STATUS, f"HTTP {status} for {url}", exc.response)
    if isinstance(exc, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)):
        return FailureReport(errorkinds.TIMEOUT, f"{url}: {message} (after retries)")
    if isinstance(exc, DownloadCancelledError) and "max size" in message:
        return FailureReport(
            errorkinds.TOO_LARGE, f"{url}: {message} Raise DOWNLOAD_MAXSIZE if it is wanted."
        )
    if isinstance(exc, ResponseDataLossError) or "DataLoss" in message:
        return FailureReport(
            errorkinds.TRUNCATED,
            f"{url}: the connection closed before the promised Content-Length arrived "
            f"(after retries); the page is incomplete, so nothing was stored",
        )
    if isinstance(exc, IgnoreRequest):
        if "DOWNLOAD_MAXSIZE" in message:  # a compressed body that inflates past the limit
            return FailureReport(
                errorkinds.TOO_LARGE,
                f"{url}: the compressed body inflates past DOWNLOAD_MAXSIZE (a gzip bomb, or a "
                f"very large page); nothing was kept. Raise DOWNLOAD_MAXSIZE if it is wanted.",
            )
        if "robots.txt" in message:
            return FailureReport(
                errorkinds.ROBOTS_DISALLOWED,
                f"{url}: forbidden by the site's robots.txt; remove it from the profile",
            )
        if "redirections" in message:
            return FailureReport(errorkinds.REDIRECT_LOOP, f"{url}: {message}")
    return FailureReport(errorkinds.FETCH_FAILED, f"{url}: {failure.type.__name__}: {message}")
