"""The profile extractor on every article page of the bundled 平安绍兴新闻网 sample."""

from __future__ import annotations

import pytest
from conftest import PASXW, expected_articles, load_manifest, page_bytes

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.sites import load_profile

PROFILE = load_profile("pasxw")
EXPECTED = expected_articles()
FIELDS = (
    "url",
    "title",
    "publish_time",
    "view_count",
    "section",
    "source",
    "editor",
    "author",
    "images",
    "charset",
    "body",
)


def parse(path: str):
    body, content_type = page_bytes(path)
    return extract_article(body, PROFILE.base_url + path, PROFILE, content_type)


def test_sample_site_is_big_enough():
    assert len(EXPECTED) >= 60
    assert {e["section"] for e in EXPECTED} == {s.name for s in PROFILE.sections}


@pytest.mark.parametrize("expected", EXPECTED, ids=[e["path"][-12:] for e in EXPECTED])
def test_article_fields_match_expected_json(expected):
    got = parse(expected["path"]).to_json()
    for field in FIELDS:
        assert got[field] == expected[field], f"{expected['path']}: {field}"


def test_seed_article_is_parsed_exactly():
    article = parse("/index.asp?bh=2020128154217922")
    assert article.title == "平安路上砥砺行 江西连续十六年获评全国综治优秀省"
    assert article.published_at.isoformat() == "2020-12-08T15:04:17+08:00"
    assert article.published_raw == "2020-12-8 15:04:17"
    assert article.view_count == 1154
    assert article.source == "法治日报——法制网"
    assert article.editor == "安羽"
    assert article.body.startswith("赣鄱大地风气清,平安路上砥砺行。")
    assert article.body.endswith("正在赣鄱大地久久回响。")


@pytest.mark.parametrize("path", ["/index.asp?bh=2020128154217922"])
def test_body_has_no_page_clutter(path):
    article = parse(path)
    for clutter in (
        "上一篇",
        "下一篇",
        "来源:",
        "责任编辑",
        "当前位置",
        "版权所有",
        "热点新闻",
        "设为首页",
        "平安资讯",
    ):
        assert clutter not in article.body
    assert "<script" not in article.body_html
    assert "<p" in article.body_html or "<div" in article.body_html


def test_gbk_only_characters_survive_a_gb2312_declaration():
    manifest = load_manifest()
    assert manifest["gbk_only_articles"], "the sample must contain GBK-only characters"
    for bh in manifest["gbk_only_articles"]:
        body, _ = page_bytes(f"/index.asp?bh={bh}")
        assert b"charset=gb2312" in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("gb2312")
        article = parse(f"/index.asp?bh={bh}")
        assert "\ufffd" not in article.body + (article.title or "")
        assert article.charset == "gb18030"
        assert not any("replaced" in w for w in article.warnings)


def test_lying_utf8_header_is_overruled_by_the_bytes():
    bh = load_manifest()["lying_header_articles"][0]
    _, content_type = page_bytes(f"/index.asp?bh={bh}")
    assert "utf-8" in content_type.lower()
    article = parse(f"/index.asp?bh={bh}")
    assert article.charset == "gb18030"
    assert any("header declares utf-8" in w for w in article.warnings)


def test_empty_view_count_is_none_not_zero():
    bh = load_manifest()["traps"]["empty_view_count"]
    article = parse(f"/index.asp?bh={bh}")
    assert article.view_count is None
    assert article.view_count_raw == "次"
    assert not article.warnings


def test_missing_source_is_none():
    bh = load_manifest()["traps"]["no_source"]
    article = parse(f"/index.asp?bh={bh}")
    assert article.source is None
    assert article.editor


def test_sidebar_dates_never_become_the_publish_time():
    bh = load_manifest()["traps"]["sidebar_dates_later"]
    expected = next(e for e in EXPECTED if e["path"].endswith(bh))
    article = parse(f"/index.asp?bh={bh}")
    assert article.published_at.isoformat() == expected["publish_time"]
    # Every other date printed on the page is later than this article's own.
    others = [e["publish_time"] for e in EXPECTED if e["path"] != expected["path"]]
    assert min(others) > expected["publish_time"]


def test_fixture_pages_are_crlf_gbk_like_the_real_asp_site():
    body, content_type = page_bytes("/index.asp?bh=2020128154217922")
    assert b"\r\n" in body
    assert content_type == "text/html"
    assert (PASXW / "content" / "seed.json").exists()
