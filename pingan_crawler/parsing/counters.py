"""View counters that are not printed in the page: find the counter script, read its reply.

DedeCMS ``plus/count.php`` and EmpireCMS ``ViewClick`` reply ``document.write('1154');``,
PHPCMS ``api.php?op=count`` replies ``$('#hits').html('1155');``, Hanweb ``visit.jsp`` writes the
number into its iframe. Most of them add one view per call, so the crawler fetches a counter only
when the profile says ``fetch_counter = true``; finding its URL costs nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from pingan_crawler.parsing.decode import decode_html

_PATTERNS = {
    "js_docwrite": re.compile(r"document\.write\(\s*['\"]?\s*([^'\")]*?)\s*['\"]?\s*\)"),
    "jq_html": re.compile(
        r"\$\(\s*['\"]([^'\"]+)['\"]\s*\)\s*\.(?:html|text)\(\s*['\"]?\s*([^'\")]*?)\s*['\"]?\s*\)"
    ),
}
_BARE_NUMBER = re.compile(r"^\s*(?:<[^>]*>\s*)*([\d,]+)\s*(?:<[^>]*>\s*)*$")
_SRC = re.compile(r"<(?:script|iframe)\b[^>]*?\bsrc\s*=\s*['\"]?([^'\" >]+)", re.IGNORECASE)


def find_counter_url(
    html_text: str, url: str, counter_regex: str, template: str = "", article_id: str | None = None
) -> str | None:
    """The counter's absolute URL: a ``<script src>``/``<iframe src>`` matching the profile's
    ``views.counter`` regex, else the profile's ``views.counter_url`` template."""
    if counter_regex:
        pattern = re.compile(counter_regex)
        for src in _SRC.findall(html_text):
            src = src.replace("&amp;", "&")
            if pattern.search(src):
                return urljoin(url, src)
    if template and ("{id}" not in template or article_id):
        return urljoin(url, template.format(id=article_id or ""))
    return None


def read_counter(
    body: bytes, mode: str, content_type: str | None = None, target: str = "#hits"
) -> str | None:
    """The raw count a counter replied (``'1154'``), or None when the reply holds none.

    PHPCMS fills several elements in one reply (``#todaydowns``, ``#weekdowns``, ``#hits``):
    the one named ``target`` is the view count."""
    text = decode_html(body, content_type).text
    filled = _PATTERNS["jq_html"].findall(text)
    if mode == "jq_html" and filled:
        return next((value for element, value in filled if element == target), filled[-1][1])
    written = _PATTERNS["js_docwrite"].search(text)
    if written:
        return written.group(1)
    if filled:
        return next((value for element, value in filled if element == target), filled[-1][1])
    bare = _BARE_NUMBER.match(re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", text))
    return bare.group(1) if bare else None
