"""pingan-crawler: crawl and archive Chinese 平安/长安/政法 news sites into SQLite.

The names below are loaded on first use (PEP 562), so that importing the package, or
``pingan_crawler.settings`` as Scrapy does, does not load SQLite, zstd or lxml.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pingan_crawler.pages import extract
    from pingan_crawler.parsing.article import extract_article
    from pingan_crawler.storage import Archive

__all__ = ["Archive", "extract", "extract_article"]

_HOMES = {
    "Archive": "pingan_crawler.storage",
    "extract": "pingan_crawler.pages",
    "extract_article": "pingan_crawler.parsing.article",
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pingan_crawler' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
