"""Canonical URLs: one spelling per page."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTP://PASXW.com:80/index.asp?bh=2020128154217922&utm_source=wx#top",
            "http://pasxw.com/index.asp?bh=2020128154217922",
        ),
        ("http://pasxw.com/list.asp?page=2&lb=1", "http://pasxw.com/list.asp?lb=1&page=2"),
        (
            "http://www.pazjw.gov.cn/a/t20220405_24040021.shtml?spm=1.2&from=timeline",
            "http://www.pazjw.gov.cn/a/t20220405_24040021.shtml",
        ),
        ("http://x.cn/a.asp?q=%C9%A8%BA%DA", "http://x.cn/a.asp?q=%C9%A8%BA%DA"),
        ("http://x.cn", "http://x.cn/"),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical
