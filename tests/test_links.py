"""Links on list pages: query charset, session ids, huge and deeply nested pages."""

from __future__ import annotations

import json
import subprocess

import pytest
import scrapy
from conftest import PINGAN, query

from pingan_crawler.fixtureserver import FixtureServer
from pingan_crawler.parsing.discover import discover_list_page, discover_sections
from pingan_crawler.parsing.html import lines_of, parse_html, strip_noise
from pingan_crawler.parsing.listing import (
    MAX_LINKS_PER_PAGE,
    datastore_records,
    page_links,
    read_page_links,
)
from pingan_crawler.parsing.urls import canonical_url, link_url, session_params

SESSION = "a3f9c2e81b7d4c60"  # what a server puts in ?sid= on one page load
LM = "%C6%BD%B0%B2%B6%AF%CC%AC"  # 平安动态 in GBK, as a browser on a GBK page sends it


def gbk_list_page(session: str = SESSION) -> bytes:
    """A classic-ASP list page in GBK whose links carry a raw Chinese query and a session id."""
    rows = "".join(
        f'<li><span>2024-05-{day:02d}</span><a href="show.asp?id={321 + day}&lm=平安动态'
        f'&sid={session}" target="_blank">第{day}期平安动态：社区民警走访辖区商户</a></li>'
        for day in range(1, 6)
    )
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>平安动态</title></head><body>"
        f'<div class="nav"><a href="index.asp?sid={session}">首页</a>'
        f'<a href="list.asp?lm=平安动态&sid={session}">平安动态</a>'
        f'<a href="list.asp?lm=法治宣传&sid={session}">法治宣传</a></div>'
        f'<div class="newslist"><ul>{rows}</ul></div>'
        f'<div class="pager"><a href="list.asp?lm=平安动态&page=2&sid={session}">下一页</a></div>'
        "</body></html>"
    )
    return html.encode("gbk")


# --- query charset ---------------------------------------------------------------------------


def test_a_raw_chinese_query_is_encoded_in_the_page_charset():
    links = page_links(gbk_list_page(), "http://www.pa.example.cn/news/list.asp?lm=" + LM)
    show = [link for link in links if "show.asp" in link.url]
    assert [link.url for link in show][:2] == [
        f"http://www.pa.example.cn/news/show.asp?id=322&lm={LM}",
        f"http://www.pa.example.cn/news/show.asp?id=323&lm={LM}",
    ]
    assert show[0].text == "第1期平安动态：社区民警走访辖区商户"
    assert show[0].date == "2024-05-01"


def test_request_url_and_canonical_url_agree():
    url = link_url("show.asp?id=321&lm=平安动态", "http://www.pa.example.cn/news/", "gb18030")
    assert url == f"http://www.pa.example.cn/news/show.asp?id=321&lm={LM}"
    request = scrapy.Request(url)
    assert request.url == url
    assert canonical_url(request.url) == url


def test_the_path_stays_utf8_and_utf8_pages_send_utf8_queries():
    url = link_url("/新闻/show.asp?lm=平安", "http://x.example.cn/", "gb18030")
    assert url == "http://x.example.cn/%E6%96%B0%E9%97%BB/show.asp?lm=%C6%BD%B0%B2"
    assert link_url("show?lm=平安", "http://x.example.cn/", "utf-8").endswith(
        "lm=%E5%B9%B3%E5%AE%89"
    )
    assert link_url("show?lm=平安", "http://x.example.cn/", "utf-16-le").endswith(
        "%E5%B9%B3%E5%AE%89"
    )


def test_a_character_the_charset_lacks_is_sent_as_a_character_reference():
    assert link_url("s?q=a😀", "http://x.example.cn/", "gb2312") == (
        "http://x.example.cn/s?q=a%26%23128512%3B"
    )


def test_escapes_already_in_a_link_are_kept():
    url = link_url(f"show.asp?lm={LM}&id=1", "http://x.example.cn/", "utf-8")
    assert url == f"http://x.example.cn/show.asp?id=1&lm={LM}"


def test_discovery_and_datastore_records_encode_queries_the_same_way():
    page = "http://www.pa.example.cn/news/list.asp"
    guess = discover_list_page(gbk_list_page(), page)
    assert guess.article_links[0].url == (f"http://www.pa.example.cn/news/show.asp?id=322&lm={LM}")
    assert guess.next_page == f"http://www.pa.example.cn/news/list.asp?lm={LM}&page=2"
    sections = discover_sections(gbk_list_page(), "http://www.pa.example.cn/")
    assert f"http://www.pa.example.cn/list.asp?lm={LM}" in [s.url for s in sections]
    fragment = "<li><a href='show.asp?id=9&lm=平安动态'>标题</a><span>2024-01-01</span></li>"
    records, _ = datastore_records(f"<record><![CDATA[{fragment}]]></record>", page, "gb18030")
    assert records[0].url == f"http://www.pa.example.cn/news/show.asp?id=9&lm={LM}"


# --- session ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://x.cn/show.asp?id=5&sid=a3f9c2e81b7d4c60", "http://x.cn/show.asp?id=5"),
        ("http://x.cn/a.php?PHPSESSID=8d0s7f6g5h4j3k2l1&id=7", "http://x.cn/a.php?id=7"),
        ("http://x.cn/a.asp?ASPSESSIONIDQQGGQSRT=KJHGFDSAPOIU&id=7", "http://x.cn/a.asp?id=7"),
        ("http://x.cn/news/a.jsp;jsessionid=0A1B2C3D4E5F?id=7", "http://x.cn/news/a.jsp?id=7"),
        ("http://x.cn/(S(lit3py55t21z5v55vlm25s55))/a.aspx?id=7", "http://x.cn/a.aspx?id=7"),
        ("http://x.cn/a.asp?id=7&sessionid=99887766", "http://x.cn/a.asp?id=7"),
        ("http://x.cn/list.asp?page=2&_=1717400000000", "http://x.cn/list.asp?page=2"),
        ("http://x.cn/list.asp?page=2&rnd=0.84731926", "http://x.cn/list.asp?page=2"),
        ("http://x.cn/list.asp?r=0.8473192654&page=2", "http://x.cn/list.asp?page=2"),
        # ids, even long random-looking ones, are the page
        ("http://x.cn/show.asp?id=321", "http://x.cn/show.asp?id=321"),
        (
            "http://x.cn/info.jsp?infoid=8a8a8a8a7f3e2d1c0b9a&cid=17",
            "http://x.cn/info.jsp?cid=17&infoid=8a8a8a8a7f3e2d1c0b9a",
        ),
        (
            "http://x.cn/show.aspx?guid=3f2a9c1e7b6d4e8f",
            "http://x.cn/show.aspx?guid=3f2a9c1e7b6d4e8f",
        ),
    ],
)
def test_canonical_urls_drop_session_parameters(url, canonical):
    assert canonical_url(url) == canonical


def test_session_ids_on_one_page_load_are_dropped_from_its_links():
    links = page_links(gbk_list_page(), f"http://www.pa.example.cn/news/list.asp?sid={SESSION}")
    assert links and not any("sid=" in link.url for link in links)


def test_an_unnamed_session_token_that_changes_on_every_load_is_dropped():
    page = "http://x.cn/list.asp?lm=2&k=Q7x2Lp9Vb4Nm8Rt3"  # the token this load was asked with
    links = [f"http://x.cn/show.asp?id={n}&k=Z1c8Hw5Ke2Yq7Ud4" for n in range(6)]
    assert session_params(page, links) == {"k"}
    channel = "http://x.cn/list.asp?ch=Q7x2Lp9Vb4Nm8Rt3"  # the same token on page and links
    assert (
        session_params(channel, [f"http://x.cn/s.asp?id={n}&ch=Q7x2Lp9Vb4Nm8Rt3" for n in range(6)])
        == set()
    )
    guids = [f"http://x.cn/s.asp?doc=Z1c8Hw5Ke2Yq7U{n:02d}" for n in range(6)]  # one per article
    assert session_params("http://x.cn/l.asp?doc=Q7x2Lp9Vb4Nm8Rt3", guids) == set()
    ids = [f"http://x.cn/s.asp?docid=Z1c8Hw5Ke2Yq7Ud4&n={n}" for n in range(6)]
    assert session_params("http://x.cn/l.asp?docid=Q7x2Lp9Vb4Nm8Rt3", ids) == set()


def test_a_crawl_requests_gbk_queries_and_drops_session_ids(tmp_path):
    """End to end: the server answers only the GBK spelling, and a fresh ?sid= per load."""
    site = tmp_path / "site"
    site.mkdir()
    html = "text/html; charset=gb2312"
    routes = {}
    for page, session in ((1, SESSION), (2, "c4d8e2f6a0b1c3d5")):
        body = gbk_list_page(session)
        if page == 2:
            body = body.replace(b"id=32", b"id=42").replace("下一页".encode("gbk"), b"")
        (site / f"list{page}.html").write_bytes(body)
    routes["/news/list.asp"] = {"file": "list1.html", "headers": {"Content-Type": html}}
    routes[f"/news/list.asp?lm={LM}&page=2"] = {
        "file": "list2.html",
        "headers": {"Content-Type": html},
    }
    article = (
        '<html><head><meta charset="gbk"><title>{title}</title></head><body><h1>{title}</h1>'
        "<div class='info'>发布时间：2024-05-0{day} 10:00 来源：城东派出所</div>"
        "<div class='content'>"
        "<p>五月初，城东派出所社区民警走进辖区商户，逐户登记消防器材和监控设备情况，"
        "提醒商户做好夜间防盗。</p><p>民警还向店员讲解了常见诈骗手法。</p></div></body></html>"
    )
    for prefix in ("32", "42"):
        for day in range(1, 6):
            name = f"a{prefix}{day}.html"
            title = f"第{day}期平安动态：社区民警走访辖区商户（{prefix}）"
            (site / name).write_bytes(article.format(title=title, day=day).encode("gbk"))
            routes[f"/news/show.asp?id={prefix}{day + 1}&lm={LM}"] = {
                "file": name,
                "headers": {"Content-Type": html},
            }
    (site / "routes.json").write_text(json.dumps({"routes": routes}), "utf-8")
    db = tmp_path / "crawl.db"
    with FixtureServer(site) as server:
        result = subprocess.run(
            [*PINGAN, "crawl", "--start-url", server.base_url + "/news/list.asp", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        requested = [path for _, path in server.requests]
    assert "Traceback" not in result.stderr
    assert not [path for path in requested if "sid=" in path]
    assert not [path for path in requested if "%E5%B9%B3" in path]  # never the UTF-8 spelling
    stored = {url for (url,) in query(db, "SELECT url FROM articles")}
    assert len(stored) == 10
    assert f"{server.base_url}/news/show.asp?id=322&lm={LM}" in stored


# --- huge and deep pages ---------------------------------------------------------------------


def huge_link_page(count: int) -> bytes:
    """``count`` links, all in one <div> (the shape that made the old code quadratic)."""
    anchors = "".join(f'<a href="/a/{n}.html">第{n}条新闻标题</a>' for n in range(count))
    return f'<html><body><div class="list">{anchors}</div></body></html>'.encode()


def test_a_page_of_200000_links_is_read_up_to_the_cap_with_a_warning(caplog):
    body = huge_link_page(200_000)
    read = read_page_links(body, "http://x.example.cn/list.html")
    assert len(read.links) == MAX_LINKS_PER_PAGE
    assert read.links[0].url == "http://x.example.cn/a/0.html"
    assert read.links[-1].url == f"http://x.example.cn/a/{MAX_LINKS_PER_PAGE - 1}.html"
    assert read.warnings == (
        f"http://x.example.cn/list.html: 200,000 links on one page; only the first "
        f"{MAX_LINKS_PER_PAGE:,} were read (MAX_LINKS_PER_PAGE)",
    )
    guess = discover_list_page(body, "http://x.example.cn/list.html")
    assert len(guess.article_links) == MAX_LINKS_PER_PAGE
    assert guess.warnings == read.warnings
    assert "200,000 links on one page" in caplog.text


def test_a_small_cap_is_obeyed():
    read = read_page_links(huge_link_page(50), "http://x.example.cn/l.html", max_links=10)
    assert len(read.links) == 10 and read.warnings
    assert (
        len(discover_list_page(huge_link_page(50), "http://x/l.html", max_links=10).article_links)
        == 10
    )


def test_twenty_thousand_nested_divs_break_no_helper():
    depth = 20_000
    rows = "".join(
        f'<li><a href="/a/2024/{n}.html">深层嵌套页面中的第{n}条新闻标题</a></li>' for n in range(5)
    )
    html = (
        f"<html><body><ul class='list'>{rows}</ul>"
        + "<div>" * depth
        + "<p>正文。</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    body = html.encode()
    root = parse_html(html)
    strip_noise(root)
    assert lines_of(root)[0].startswith("深层嵌套页面中的第0条")
    assert len(page_links(body, "http://x.example.cn/l.html")) == 5
    assert len(discover_list_page(body, "http://x.example.cn/l.html").article_links) == 5
    discover_sections(body, "http://x.example.cn/")


def test_links_deep_in_nested_markup_are_found():
    depth = 200  # within what the HTML parser keeps
    inner = "".join(
        f'<li><a href="/a/2024/{n}.html">嵌套区块里的第{n}条新闻标题</a>'
        f"<span>2024-01-0{n + 1}</span></li>"
        for n in range(5)
    )
    html = (
        "<html><body>"
        + '<div class="w">' * depth
        + f"<ul>{inner}</ul>"
        + "</div>" * depth
        + "</body></html>"
    )
    guess = discover_list_page(html.encode(), "http://x.example.cn/l.html")
    assert [link.date for link in guess.article_links] == [f"2024-01-0{n + 1}" for n in range(5)]


def test_list_dates_come_from_rows_not_from_the_whole_page():
    filler = "".join(f"<a href='/a/{n}.html'>第{n}条普通链接标题文字</a>" for n in range(50))
    html = f"<html><body><div>2024-03-01 {filler}</div></body></html>"
    links = page_links(html.encode(), "http://x.example.cn/")
    assert all(link.date is None for link in links)  # the <div> is no row: too long to be one
