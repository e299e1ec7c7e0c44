"""Profile regexes that would hang a crawl on a long link are refused when loaded."""

from __future__ import annotations

import subprocess

import pytest
from conftest import PINGAN

from pingan_crawler.sites import (
    ProfileError,
    family_names,
    load_profile,
    parse_profile,
    profile_names,
)
from pingan_crawler.sites.loader import load_family
from pingan_crawler.sites.regexcheck import BacktrackingPattern, check_linear

HANGING = [
    r"^/news/([a-z0-9]+)*\.html$",  # the pattern of issue 14
    r"/news/(\d+)+\.html$",
    r"/(\w+\s?)*\.shtml$",
    r"/(a|aa)*/\d+\.html$",
    r"/(.*,)*x$",
    r"/show/(\d{1,3})+$",
    r"(?i)/(art|ART)+_\d+$",
    r"/c/((ab)*)*\.html$",
    # polynomial, seconds on a 2,000-character link: n start positions × n × n
    r".*/.*\.html$",
    r"/\d+\d+x$",
    r"/news/.*/.*\.html$",
]
FINE = [
    r"(/\w+)*\.html$",
    r"^/news/\w+(-\w+)*\.html$",
    r"/list(?:-\d+)+\.html$",
    r"/\d{4}/\d{2}/(?P<id>\d+)\.html$",
    r"(?:/[^/]+)*/\d+\.s?html?$",
    r"/(\w+/)*\d+\.html$",
    r"/(a|b)*c",
    r"/news/.*\.html$",
    r"^/news/.*/.*\.html$",
    r"/art_\d+_(?P<id>\d+)\.html$",
    r"/(?:azsf|system)/\d{8}/\d+\.html$",
    r"/index\.asp\?bh=\d+$",
    r"^/news/([a-z0-9]++)*\.html$",  # possessive: never gives back
    r"^/news/(?>[a-z0-9]+)*\.html$",  # atomic group
    r"count\.php\?",
    r"\d+\d+",  # nothing after it can fail
]


@pytest.mark.parametrize("pattern", HANGING)
def test_backtracking_patterns_are_refused(pattern):
    with pytest.raises(BacktrackingPattern):
        check_linear(pattern)


@pytest.mark.parametrize("pattern", FINE)
def test_ordinary_patterns_pass(pattern):
    check_linear(pattern)


def test_every_bundled_profile_and_family_passes():
    for name in profile_names():
        profile = load_profile(name)
        check_linear(profile.article_url)
        check_linear(profile.views.counter)
    for name in family_names():
        data = load_family(name)
        check_linear(data.get("article_url", ""))
        check_linear(data.get("views", {}).get("counter", ""))


def test_the_loader_names_the_key_and_says_what_to_do():
    data = {
        "name": "x",
        "title": "X",
        "base_url": "http://x.example.cn",
        "article_url": r"^/news/([a-z0-9]+)*\.html$",
        "list_url": "/news/list_{page}.html",
    }
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, "x.toml")
    message = str(caught.value)
    assert message.startswith("x.toml: article_url '^/news/([a-z0-9]+)*\\\\.html$': ")
    assert "exponential time" in message and "[a-z0-9]*" in message
    with pytest.raises(ProfileError, match=r"views\.counter"):
        parse_profile(
            {**data, "article_url": r"/\d+\.html$", "views": {"counter": r"(\w+)+\.js"}}, "x.toml"
        )


def test_sites_check_refuses_the_pattern_in_one_line(tmp_path):
    profile = tmp_path / "hang.toml"
    profile.write_text(
        'name = "hang"\ntitle = "Hang"\nbase_url = "http://hang.example.cn"\n'
        "article_url = '^/news/([a-z0-9]+)*\\.html$'\nlist_url = \"/news/list_{page}.html\"\n"
        '[[sections]]\nid = "news"\nname = "新闻"\n',
        "utf-8",
    )
    result = subprocess.run(
        [*PINGAN, "sites", "--check", str(profile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "hang.toml: article_url" in line and "exponential" in line
