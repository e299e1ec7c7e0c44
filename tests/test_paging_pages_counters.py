"""Pure readers behind the crawl: list paging styles, multi-page articles, view counters.

Inputs are the sample sites' real bytes (tests/fixtures/<family>/), read without a server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, expected_articles, load_manifest, page_bytes

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.counters import find_counter_url, read_counter
from pingan_crawler.parsing.listing import datastore_records, read_list_page, trs_pager
from pingan_crawler.parsing.multipage import is_later_page, join_pages, page_key
from pingan_crawler.sites import load_profile

PROFILES = Path(__file__).parent / "profiles"


@pytest.fixture(autouse=True)
def sample_profiles(monkeypatch):
    monkeypatch.setenv("PINGAN_SITES_PATH", str(PROFILES))


def served(family: str, path: str) -> tuple[bytes, str]:
    return page_bytes(path, FIXTURES / family)


def test_trs_pager_script_gives_page_count_and_index():
    body, _ = served("trs", "/padt/index_1.shtml")
    assert trs_pager(body.decode("utf-8")) == (3, 1)


def test_trs_list_stops_at_the_last_page_the_pager_counts():
    profile = load_profile("pajinhua")
    section = profile.sections[0]
    site = profile.base_url
    first = read_list_page(*_list("trs", "/padt/index.shtml", site), profile, section, 0)
    assert first.next.url == site + "/padt/index_1.shtml"
    assert first.total == 3
    last = read_list_page(*_list("trs", "/padt/index_2.shtml", site), profile, section, 2)
    assert last.articles and last.next is None  # index_3 exists, but only as a stub


def _list(family: str, path: str, site: str) -> tuple[bytes, str]:
    body, _ = served(family, path)
    return body, site + path


def test_hanweb_embedded_records_then_dataproxy_posts_until_the_total():
    profile = load_profile("qzpeace")
    section = profile.sections[0]
    site = profile.base_url
    body, content_type = served("hanweb", "/col/col60096/index.html")
    first = read_list_page(
        body, site + "/col/col60096/index.html", profile, section, 1, content_type
    )
    assert [link.url.rsplit("/", 1)[1] for link in first.articles] == [
        "art_60096_11778680.html",
        "art_60096_11778594.html",
        "art_60096_11778572.html",
    ]
    assert first.articles[0].date == "2026-06-01"
    assert first.next.url.endswith("dataproxy.jsp?startrecord=4&endrecord=6&perpage=3")
    assert first.next.form["columnid"] == "60096" and first.next.form["unitid"] == "317001"
    assert first.next.offset == 3
    reply = (FIXTURES / "hanweb" / "site" / "dataproxy_60096_7.xml").read_bytes()
    last = read_list_page(reply, first.next.url, profile, section, 3, "text/xml", offset=6)
    assert len(last.articles) == 2 and last.total == 8
    assert last.next is None  # 6 + 2 records = the 8 the column holds


def test_an_empty_dataproxy_reply_is_a_stub_that_ends_the_list():
    reply = (FIXTURES / "hanweb" / "site" / "dataproxy_60096_10.xml").read_text("utf-8")
    assert datastore_records(reply, "http://x.example.cn/") == ([], 8)


@pytest.mark.parametrize(
    ("link", "article", "later"),
    [
        ("http://d.cn/zfdt/2021/0420/107_2.html", "http://d.cn/zfdt/2021/0420/107.html", True),
        ("http://p.cn/show-7-1588-3.html", "http://p.cn/show-7-1588-1.html", True),
        ("http://p.cn/show-7-1588-3.html", "http://p.cn/show-7-1588-2.html", True),
        ("http://p.cn/show-7-1582-2.html", "http://p.cn/show-7-1588-1.html", False),
        (
            "http://a.cn/ShowArticle.asp?ArticleID=136&Page=2",
            "http://a.cn/ShowArticle.asp?ArticleID=136",
            True,
        ),
        (
            "http://t.cn/padt/202205/t20220505_24054518.shtml",
            "http://t.cn/padt/202205/t20220517_24057210.shtml",
            False,
        ),
        ("http://d.cn/zfdt/2021/0420/107.html", "http://d.cn/zfdt/2021/0420/107_2.html", False),
    ],
)
def test_later_pages_of_an_article_are_told_from_other_links(link, article, later):
    assert is_later_page(link, article) is later


def test_page_key_strips_only_a_small_page_number():
    assert page_key("http://t.cn/202205/t20220517_24057210.shtml")[1] is None
    assert page_key("http://d.cn/2021/0420/107_3.html") == ("http://d.cn/2021/0420/107.html", 3)


@pytest.mark.parametrize(("family", "profile_name"), [("dedecms", "pananhu"), ("phpcms", "tzcaw")])
def test_multi_page_articles_join_into_the_expected_body(family, profile_name):
    profile = load_profile(profile_name)
    site = load_manifest(FIXTURES / family)["base_url"]
    multi = [e for e in expected_articles(FIXTURES / family) if len(e["pages"]) > 1]
    assert multi
    for expected in multi:
        pages = [extract_article(*_page(family, site, path, profile)) for path in expected["pages"]]
        assert [p.url for p in pages[1:]] == list(pages[0].continuations)[: len(pages) - 1]
        joined = join_pages(pages[0], pages[1:])
        assert joined.body == expected["body"]
        assert list(joined.images) == expected["images"]
        assert joined.pages == len(expected["pages"])
        assert joined.title == expected["title"]


def _page(family: str, site: str, path: str, profile) -> tuple:
    body, content_type = served(family, path)
    return body, site + path, profile, content_type


@pytest.mark.parametrize(
    ("family", "mode"),
    [("dedecms", "js_docwrite"), ("phpcms", "jq_html"), ("hanweb", "js_docwrite")],
)
def test_counter_replies_give_the_expected_counts(family, mode):
    manifest = load_manifest(FIXTURES / family)
    for expected in expected_articles(FIXTURES / family):
        route = manifest["routes"][expected["counter_path"]]
        body = (FIXTURES / family / route["file"]).read_bytes()
        raw = read_counter(body, mode, route["headers"].get("Content-Type"))
        assert int(raw) == expected["view_count"], expected["path"]


def test_the_counter_url_is_found_in_the_page_not_fetched():
    profile = load_profile("qzpeace")
    site = profile.base_url
    for expected in expected_articles(FIXTURES / "hanweb"):
        body, content_type = served("hanweb", expected["path"])
        article = extract_article(body, site + expected["path"], profile, content_type)
        assert article.counter_url == site + expected["counter_path"]
        assert article.view_count is None and article.view_count_raw is None


def test_a_counter_url_template_uses_the_article_id():
    url = find_counter_url(
        "<p>no script</p>", "http://d.cn/a/1.html", "", "/plus/count.php?aid={id}", "9"
    )
    assert url == "http://d.cn/plus/count.php?aid=9"


def test_a_trs_second_page_numbered_1_is_a_later_page():
    article = "http://t.cn/padt/202205/t20220517_24057210.shtml"
    assert is_later_page("http://t.cn/padt/202205/t20220517_24057210_1.shtml", article)


def test_hanweb_total_comes_from_the_jpage_call_when_all_records_are_embedded():
    profile = load_profile("qzpeace")
    body, content_type = served("hanweb", "/col/col60096/index.html")
    text = body.decode("utf-8").replace("totalRecord:8", "totalRecord:3")
    read = read_list_page(
        text.encode("utf-8"),
        profile.base_url + "/col/col60096/index.html",
        profile,
        profile.sections[0],
        1,
        content_type,
    )
    assert read.total == 3
    assert read.next is None  # no POST for records the page already holds
