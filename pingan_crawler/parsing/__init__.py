"""Pure parsing: bytes + URL (+ site profile) in, typed dataclasses out. No Scrapy, no storage."""
