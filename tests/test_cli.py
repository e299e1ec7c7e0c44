"""`pingan parse` and profile errors as a user meets them."""

from __future__ import annotations

import json

from conftest import PASXW, load_manifest, run_pingan

from pingan_crawler.sites import ProfileError, load_profile, parse_profile

SEED = "/index.asp?bh=2020128154217922"


def test_parse_prints_utf8_json(tmp_path):
    route = load_manifest()["routes"][SEED]
    result = run_pingan(
        "parse",
        str(PASXW / route["file"]),
        "--url",
        "http://pasxw.com" + SEED,
        db=tmp_path / "unused.db",
    )
    assert result.returncode == 0, result.stderr
    assert "\\u" not in result.stdout
    data = json.loads(result.stdout)
    assert data["site"] == "pasxw"
    assert data["charset"] == "gb18030"
    assert data["title"] == "平安路上砥砺行 江西连续十六年获评全国综治优秀省"
    assert data["publish_time"] == "2020-12-08T15:04:17+08:00"
    assert data["view_count"] == 1154
    assert data["source"] == "法治日报——法制网"
    assert data["editor"] == "安羽"
    assert data["author"] is None
    assert "赣鄱大地风气清" in data["body"]


def test_parse_without_a_matching_profile_still_extracts(tmp_path):
    route = load_manifest()["routes"][SEED]
    result = run_pingan(
        "parse",
        str(PASXW / route["file"]),
        "--url",
        "http://mirror.example/a.html",
        db=tmp_path / "unused.db",
    )
    data = json.loads(result.stdout)
    assert data["site"] is None
    assert data["title"] == "平安路上砥砺行 江西连续十六年获评全国综治优秀省"
    assert data["publish_time"] == "2020-12-08T15:04:17+08:00"
    assert data["view_count"] == 1154


def test_parse_of_a_missing_file_says_which(tmp_path):
    result = run_pingan(
        "parse", str(tmp_path / "nope.html"), "--url", "http://x/", db=tmp_path / "d"
    )
    assert result.returncode == 2
    assert "nope.html" in result.stderr


def test_unknown_site_lists_the_known_ones(tmp_path):
    result = run_pingan("crawl", "nosuchsite", db=tmp_path / "d.db")
    assert result.returncode == 2
    assert "pasxw" in result.stderr


def test_profile_errors_name_the_key():
    base = {
        "name": "x",
        "title": "X",
        "base_url": "http://x.cn",
        "article_url": r"/a/\d+",
        "list_url": "/l?p={page}",
    }
    for change, words in [
        ({"colour": 1}, "unknown key"),
        ({"article_url": "(("}, "not a valid regex"),
        ({"list_url": "/l?p={pge}"}, "may only use"),
        ({"views": {"mode": "magic"}}, "views.mode"),
    ]:
        try:
            parse_profile({**base, **change}, "x.toml")
        except ProfileError as exc:
            assert words in str(exc) and "x.toml" in str(exc)
        else:
            raise AssertionError(f"{change} was accepted")


def test_pasxw_profile_builds_list_urls():
    profile = load_profile("pasxw")
    section = profile.sections[0]
    assert profile.list_page_url(section, 1) == "http://pasxw.com/list.asp?lb=1"
    assert profile.list_page_url(section, 3) == "http://pasxw.com/list.asp?lb=1&page=3"
    mirror = profile.with_mirror("http://127.0.0.1:9999")
    assert (
        mirror.to_mirror("http://pasxw.com/index.asp?bh=1")
        == "http://127.0.0.1:9999/index.asp?bh=1"
    )
    assert (
        mirror.to_public("http://127.0.0.1:9999/index.asp?bh=1")
        == "http://pasxw.com/index.asp?bh=1"
    )
