"""The crawl side without a network: arguments parsed once, a page read and decoded once, the
summary's exit codes."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import page_bytes
from scrapy.http import HtmlResponse, Request

from pingan_crawler.crawl import glue
from pingan_crawler.crawl.args import CrawlArgs, RefreshArgs, job_from_strings
from pingan_crawler.crawl.summary import (
    EXIT_BLOCKED,
    EXIT_ERRORS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    exit_code,
    worker_exit_code,
)
from pingan_crawler.items import ArticlePage, PageError
from pingan_crawler.parsing import article as article_module
from pingan_crawler.parsing import sniff
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.sites import ProfileError, Section, SiteProfile, load_profile
from pingan_crawler.spiders import pingan as spider_module
from pingan_crawler.spiders.pingan import PinganSpider
from pingan_crawler.spiders.views import RefreshViewsSpider

SEED = "/index.asp?bh=2020128154217922"
MIRROR = "http://127.0.0.1:8765"


def test_scrapy_strings_become_the_typed_arguments():
    args = CrawlArgs.from_strings(
        site="pasxw", base_url=MIRROR, full="1", max_pages="3", since="2021-01-01"
    )
    assert args.profile == load_profile("pasxw").with_mirror(MIRROR)
    assert args.full is True
    assert args.max_pages == 3
    assert args.since == datetime(2021, 1, 1, tzinfo=SHANGHAI)
    bare = CrawlArgs.from_strings(site="pasxw", full="no", max_pages="", since="")
    assert (bare.full, bare.max_pages, bare.since, bare.profile.mirror_url) == (
        False,
        None,
        None,
        "",
    )


def test_start_urls_make_a_generic_profile_named_after_the_host():
    args = CrawlArgs.from_strings(start_url="http://x.example.cn/a/ http://x.example.cn/b/")
    assert args.site == "x.example.cn"
    assert [s.id for s in args.profile.sections] == [
        "http://x.example.cn/a/",
        "http://x.example.cn/b/",
    ]


@pytest.mark.parametrize(
    ("strings", "words"),
    [
        ({"site": "pasxw", "since": "yesterday"}, "since= 'yesterday' is not a date"),
        ({"site": "pasxw", "max_pages": "many"}, "max_pages='many' is not a whole number"),
        ({"site": "pasxw", "max_pages": "-2"}, "max_pages='-2' is not a whole number"),
    ],
)
def test_bad_strings_are_refused_naming_the_argument(strings, words):
    with pytest.raises(ValueError, match=words):
        CrawlArgs.from_strings(**strings)


def test_an_unknown_site_is_refused_with_the_known_ones():
    with pytest.raises(ProfileError, match=r"known sites: .*pasxw"):
        CrawlArgs.from_strings(site="no-such-site")


def test_dict_jobs_of_the_old_shape_still_parse():
    crawl = job_from_strings(
        {"site": "pasxw", "base_url": "", "full": "", "max_pages": "2", "since": ""}
    )
    assert isinstance(crawl, CrawlArgs) and crawl.max_pages == 2
    refresh = job_from_strings({"site": "pasxw", "base_url": MIRROR, "refresh_views_days": "30"})
    assert refresh == RefreshArgs(load_profile("pasxw").with_mirror(MIRROR), 30)


def test_spiders_take_the_dataclass_as_it_is_or_parse_the_strings_once():
    given = CrawlArgs(load_profile("pasxw"), full=True, max_pages=1)
    spider = PinganSpider(args=given)
    assert spider.args is given and spider.profile is given.profile
    assert (spider.full, spider.max_pages) == (True, 1)
    from_strings = PinganSpider(site="pasxw", base_url=MIRROR, max_pages="4")
    assert from_strings.args == CrawlArgs(load_profile("pasxw").with_mirror(MIRROR), max_pages=4)
    views = RefreshViewsSpider(site="pasxw", days="3")
    assert views.args == RefreshArgs(load_profile("pasxw"), 3)


def test_the_crawl_spider_sends_view_refreshes_to_their_own_spider():
    with pytest.raises(ValueError, match="scrapy crawl refresh-views"):
        PinganSpider(site="pasxw", refresh_views_days="7")


def _response(profile: SiteProfile, path: str, redirected_from: str | None = None):
    body, content_type = page_bytes(path)
    url = profile.to_mirror(profile.base_url + path)
    meta = {"redirect_urls": [profile.to_mirror(redirected_from)]} if redirected_from else {}
    request = Request(url, meta=meta)
    headers = {"Content-Type": content_type, "Server": "Microsoft-IIS/6.0"}
    return HtmlResponse(url, body=body, headers=headers, request=request)


def test_a_response_is_read_once_with_its_public_urls():
    profile = load_profile("pasxw").with_mirror(MIRROR)
    first = profile.base_url + "/index.asp?bh=old"
    page = glue.fetched(_response(profile, SEED, first), profile.to_public)
    assert page.url == "http://pasxw.com" + SEED
    assert page.fetched_url == MIRROR + SEED
    assert page.requested_url == first and page.redirected
    assert page.headers["Server"] == ["Microsoft-IIS/6.0"]
    snapshot = page.snapshot("gb18030")
    assert (snapshot.url, snapshot.fetched_url, snapshot.charset) == (
        page.url,
        MIRROR + SEED,
        "gb18030",
    )
    assert snapshot.body == page_bytes(SEED)[0]


def test_an_article_page_is_decoded_once_and_mapped_to_its_public_url_once(monkeypatch):
    decodes, mappings = [], []
    real_decode, real_public = spider_module.decode_html, SiteProfile.to_public

    def counting_decode(*args, **kwargs):
        decodes.append(args[0][:10])
        return real_decode(*args, **kwargs)

    def counting_public(self, url):
        mappings.append(url)
        return real_public(self, url)

    for module in (spider_module, sniff, article_module):
        monkeypatch.setattr(module, "decode_html", counting_decode)
    monkeypatch.setattr(SiteProfile, "to_public", counting_public)
    profile = load_profile("pasxw").with_mirror(MIRROR)
    spider = PinganSpider(args=CrawlArgs(profile))
    [item] = spider.parse_article(_response(profile, SEED), Section("1", "平安资讯"))
    assert isinstance(item, ArticlePage)
    assert item.article.url == item.snapshot.url == "http://pasxw.com" + SEED
    assert item.article.view_count == 1154
    assert len(decodes) == 1
    assert mappings == [MIRROR + SEED]


def test_a_redirect_to_the_homepage_is_refused_under_the_url_asked_for():
    profile = load_profile("pasxw").with_mirror(MIRROR)
    spider = PinganSpider(args=CrawlArgs(profile))
    asked = profile.base_url + "/index.asp?bh=20990101000000000"
    [error] = spider.parse_article(_response(profile, "/", asked), Section("1", "平安资讯"))
    assert isinstance(error, PageError)
    assert (error.kind, error.url) == ("soft_404", asked)
    assert error.snapshot.url == "http://pasxw.com/"


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [
        ([("finished", 0, 0)], EXIT_OK),
        ([("finished", 2, 0), ("finished", 0, 0)], EXIT_ERRORS),
        ([("closespider_timeout", 0, 0)], EXIT_ERRORS),
        ([("finished", 3, 0), ("blocked", 1, 1)], EXIT_BLOCKED),
        ([("blocked", 1, 1), ("shutdown", 0, 0), ("finished", 5, 0)], EXIT_INTERRUPTED),
    ],
)
def test_the_worst_site_decides_the_exit_code(outcomes, code):
    stats = {
        f"site{n}": {"finish_reason": reason, "archive/errors": errors, "archive/blocked": blocked}
        for n, (reason, errors, blocked) in enumerate(outcomes)
    }
    assert exit_code(stats) == code


def test_a_worker_counts_the_errors_it_queued_not_archive_errors():
    queued = {"pasxw": {"finish_reason": "finished", "redis/errors_pushed": 2}}
    assert worker_exit_code(queued) == EXIT_ERRORS
    assert exit_code(queued) == EXIT_OK
    assert glue.end_reason("shutdown") == "interrupted" and glue.end_reason("blocked") == "blocked"
