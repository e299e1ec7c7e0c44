"""Reading a page's links and records in bounded, linear passes: shared by listing and discover.

A list page holds tens of links and a sitemap a few thousand; a trap page holds 200,000, and
Hanweb datastores hold CDATA records that a lazy regex would rescan for each one left open.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import islice

log = logging.getLogger(__name__)
# Links read per page. A list page holds tens, a sitemap a few thousand; a page of 200,000
# links is a trap, and reading it whole would cost minutes. The rest are ignored, with a
# warning (ListRead.warnings).
MAX_LINKS_PER_PAGE = 10_000

_RECORD_OPEN = re.compile(r"<record>\s*<!\[CDATA\[")
_RECORD_CLOSE = re.compile(r"\]\]>\s*</record>")


def capped_anchors(root, url: str, max_links: int) -> tuple[list, tuple[str, ...]]:
    """The page's first ``max_links`` ``<a href>`` elements, and a warning if there are more."""
    anchors = list(islice((a for a in root.iter("a") if a.get("href")), max_links + 1))
    if len(anchors) <= max_links:
        return anchors, ()
    count = int(root.xpath("count(//a)"))  # any <a>: counting @href costs 5× more
    warning = (
        f"{url}: {count:,} links on one page; only the first {max_links:,} were read "
        f"(MAX_LINKS_PER_PAGE)"
    )
    log.warning(warning)
    return anchors[:max_links], (warning,)


def cdata_records(text: str) -> Iterator[str]:
    """The CDATA of each ``<record><![CDATA[…]]></record>``, in one forward pass.

    (A lazy ``<record>…(.*?)…</record>`` regex rescans to the end of the text for every
    record left open: a page of 20,000 of them took minutes.)"""
    pos = 0
    while (start := text.find("<record>", pos)) >= 0:
        opened = _RECORD_OPEN.match(text, start)
        if opened is None:
            pos = start + len("<record>")
            continue
        closed = _RECORD_CLOSE.search(text, opened.end())
        if closed is None:
            return
        yield text[opened.end() : closed.start()]
        pos = closed.end()
