"""Scrapy spiders: they only decide what to fetch next."""
