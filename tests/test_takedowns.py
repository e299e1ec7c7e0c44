"""What says an article is gone (and what never does): removal notices, redirects, shells."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from conftest import PASXW, SITE_DIRS, load_manifest
from newsroom import NewsSite

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.sniff import is_notice, page_refusal, removal_notice
from pingan_crawler.parsing.takedown import (
    moved_article,
    page_removal,
    redirect_removal,
    same_page,
)
from pingan_crawler.sites import generic_profile, load_profile

ARTICLE = "http://pasxw.com/index.asp?bh=2020128154217922"


def chrome(main: str, title: str = "平安东湖网") -> bytes:
    """A page of the site's full chrome (nav, hot list, footer) around ``main``."""
    return NewsSite()._chrome(title, main).encode("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "信息不存在",
        "对不起，您访问的信息不存在！",
        "抱歉，您要查看的信息已被删除或不存在，请返回首页",
        "该文章已被删除",
        "您访问的页面不存在或已被删除",
        "内容已下线",
        "404 Not Found",
    ],
)
def test_removal_notices_are_recognised(text):
    assert is_notice(text)


@pytest.mark.parametrize(
    "text",
    ["网络谣言信息已删除", "某平台已删除违规信息3000条", "打击整治信息不存在的问题", "新闻中心"],
)
def test_sentences_that_mention_deletion_are_not_notices(text):
    assert not is_notice(text)


def test_a_notice_inside_the_full_chrome_is_a_soft_404():
    page = chrome(
        "<div class='tip'><p>对不起，您访问的信息不存在！</p><a href='/'>返回首页</a></div>"
    )
    assert "对不起，您访问的信息不存在！" in removal_notice(page.decode())
    titled = chrome("<p>请返回首页浏览其他内容。</p>", title="页面不存在")
    assert removal_notice(titled.decode()).startswith("titled")
    kind, detail = page_refusal(
        page, "http://x/a.html", "text/html", generic_profile(["http://x/"])
    )
    assert kind == "soft_404" and "removal notice" in detail


def test_an_article_that_reports_a_deletion_is_no_notice():
    long_body = "".join(
        f"<p>第{n}段：有关部门对网上有害信息开展集中清理，相关账号发布的信息已被删除。"
        f"执法人员表示，将持续加强网络生态治理，依法查处各类违法违规行为。</p>"
        for n in range(6)
    )
    page = chrome(f"<h1>清理网络有害信息</h1>{long_body}")
    assert removal_notice(page.decode()) is None
    # even a line that is only a notice, inside an article's worth of text
    quoted = chrome(f"<h1>清理网络有害信息</h1><p>信息已删除</p>{long_body * 2}")
    assert removal_notice(quoted.decode()) is None
    # a notice-like headline in the hot list is a link, not the page speaking
    listed = chrome("<ul><li><a href='/a.html'>该信息已删除</a></li></ul>" + long_body)
    assert removal_notice(listed.decode()) is None


def test_no_sample_article_is_taken_for_a_removal():
    checked = 0
    for name, site_dir in SITE_DIRS.items():
        routes = load_manifest(site_dir)["routes"]
        for expected in (site_dir / "expected").glob("*.json"):
            record = json.loads(expected.read_text("utf-8"))
            parts = urlsplit(record["url"])
            path = record.get("path") or parts.path + (f"?{parts.query}" if parts.query else "")
            page = (site_dir / routes[path]["file"]).read_bytes()
            assert removal_notice(decode_html(page).text) is None, f"{name}: {path}"
            checked += 1
    assert checked >= 150  # every sample site's articles


def test_real_pages_carry_no_removal_notice(realpages):
    for page in sorted((realpages / "pages").glob("*.html")):
        assert removal_notice(decode_html(page.read_bytes()).text) is None, page.name


def test_same_page_ignores_scheme_www_index_and_slash():
    assert same_page("http://a.gov.cn/x/1.html", "https://www.a.gov.cn/x/1.html")
    assert same_page("http://a.gov.cn/x/", "http://a.gov.cn/x/index.html")
    assert same_page("http://a.gov.cn/x/1.html?spm=3", "http://a.gov.cn/x/1.html")
    assert not same_page("http://a.gov.cn/x/1.html", "http://a.gov.cn/x/2.html")


def test_redirects_that_mean_gone_and_those_that_do_not():
    pasxw = load_profile("pasxw")
    assert (
        redirect_removal(ARTICLE, "https://www.pasxw.com/index.asp?bh=2020128154217922", pasxw)
        is None
    )
    assert "homepage" in redirect_removal(ARTICLE, "http://pasxw.com/", pasxw)
    assert "another article" in redirect_removal(
        ARTICLE, "http://pasxw.com/index.asp?bh=1", pasxw, another_article=True
    )
    assert "list page" in redirect_removal(
        ARTICLE, "http://pasxw.com/list.asp?lb=1", pasxw, list_page=True
    )
    # the profile knows article URLs: anything else on the site is no article
    assert "not an article page" in redirect_removal(ARTICLE, "http://pasxw.com/about.asp", pasxw)
    # without a profile, an unknown page is fetched and judged (None: look at it)
    generic = generic_profile(["http://x.gov.cn/news/"])
    assert redirect_removal("http://x.gov.cn/a/1.html", "http://x.gov.cn/b/1.html", generic) is None


def test_page_removal_empty_shell_and_moved_article():
    profile = load_profile("pasxw")
    body = (PASXW / "site" / "article_2020128154217922.html").read_bytes()
    decoded = decode_html(body, "text/html")
    article = extract_article(body, ARTICLE, profile, "text/html", decoded=decoded)
    assert page_removal(body, ARTICLE, "text/html", profile, decoded, article) is None
    shell = chrome("<h1 class='title'></h1><div class='content'></div>")
    shell_article = extract_article(shell, ARTICLE, None, "text/html")
    verdict = page_removal(shell, ARTICLE, "text/html", None, decode_html(shell), shell_article)
    assert verdict and "empty shell" in verdict
    # … unless today's parser cannot read the stored page either: its failing, not the site's
    unread = page_removal(
        shell, ARTICLE, "text/html", None, decode_html(shell), shell_article, False
    )
    assert unread is None
    assert moved_article(article.title, article.body, article)
    other = extract_article(
        (PASXW / "site" / "article_2021625173939780.html").read_bytes(), ARTICLE, profile
    )
    assert not moved_article(article.title, article.body, other)
