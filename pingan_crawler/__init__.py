"""pingan-crawler: crawl and archive Chinese 平安/长安/政法 news sites into SQLite."""

from pingan_crawler.pages import extract
from pingan_crawler.parsing.article import extract_article
from pingan_crawler.storage import Archive

__all__ = ["Archive", "extract", "extract_article"]
