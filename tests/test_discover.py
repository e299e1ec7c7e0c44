"""discover.py: article links, next page and sections of sites that have no profile.

The pasxw sample site is read with no profile; the CMS-family pagers (TRS createPageHTML,
DedeCMS list_tid_n, PHPCMS list-catid-n, Hanweb datastore, newer-first numbering) are small
pages written the way those templates print them (sites.md §2).
"""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, PASXW, expected_articles, load_manifest

from pingan_crawler.parsing.discover import discover_list_page, discover_sections

BASE = "http://pasxw.com"


def _serve(path: str) -> tuple[bytes, str]:
    route = load_manifest()["routes"][path]
    return (PASXW / route["file"]).read_bytes(), route["headers"].get("Content-Type", "")


def _page(body: str, charset: str = "utf-8") -> bytes:
    return f"<html><head><meta charset='{charset}'></head><body>{body}</body></html>".encode(
        charset
    )


NAV = """<div id="nav"><ul><li><a href="/">首页</a></li><li><a href="/col/1/">工作动态</a></li>
<li><a href="/col/2/">基层风采</a></li><li><a href="/col/3/">政法要闻</a></li></ul></div>"""
SIDEBAR = """<div class="right"><div class="hot"><h3>热点排行</h3><ul>
<li><a href="/a/2019/0101/9001.html">去年的一篇热门文章标题比较长</a></li>
<li><a href="/a/2019/0102/9002.html">另一篇被频繁点击的热门文章</a></li></ul></div></div>"""
FOOTER = """<div class="footer"><a href="/about.html">关于我们</a> | <a href="/contact.html">联系我们</a>
<p>主办单位：某市委政法委员会 <a href="https://beian.miit.gov.cn/">浙ICP备12345678号-1</a></p></div>"""


def _rows(prefix: str, count: int, href: str) -> str:
    return "".join(
        f'<li><a href="{href.format(i=i)}" target="_blank">{prefix}第{i}条：全市政法系统开展专项行动</a>'
        f"<span>2024-05-{10 + i:02d}</span></li>"
        for i in range(count)
    )


def test_pasxw_list_pages_give_their_listed_articles_and_next_page():
    manifest = load_manifest()
    listed = {path: r for path, r in manifest["routes"].items() if path.startswith("/list.asp")}
    assert listed, "the sample site has list pages"
    for path in listed:
        body, ctype = _serve(path)
        guess = discover_list_page(body, BASE + path, ctype)
        # What the page itself lists, read independently from its raw markup.
        text = body.decode("gb18030")
        expected = re.findall(
            r'<li><span class="date">[^<]*</span><a href="(index\.asp\?bh=\d+)"', text
        )
        assert [link.url for link in guess.article_links] == [f"{BASE}/{h}" for h in expected]
        assert all(link.date and link.text for link in guess.article_links)
        pager = re.search(r'<a href="([^"]+)">下一页</a>', text)
        want = f"{BASE}/{pager.group(1).replace('&amp;', '&')}" if pager else None
        assert guess.next_page == want, path


def test_pasxw_homepage_sections_are_the_nav_bar():
    body, ctype = _serve("/")
    sections = discover_sections(body, BASE + "/", ctype)
    assert [s.url for s in sections] == [f"{BASE}/list.asp?lb={n}" for n in range(1, 9)]
    assert sections[0].text == "平安资讯"


def test_sidebar_nav_and_footer_links_are_not_articles():
    body = _page(
        NAV
        + f'<div class="main"><ul class="list">{_rows("", 6, "/a/{i}.html")}</ul></div>'
        + SIDEBAR
        + FOOTER
    )
    guess = discover_list_page(body, "http://example.gov.cn/col/1/index.html")
    assert [link.url for link in guess.article_links] == [
        f"http://example.gov.cn/a/{i}.html" for i in range(6)
    ]
    assert guess.article_links[0].date == "2024-05-10"
    assert guess.next_page is None


def test_div_rows_and_split_lists_are_read_whole():
    rows = "".join(
        f'<div class="item"><a href="../../art/2024/5/{i}/art_1_{i}.html">第{i}篇文章的标题不算太短</a>'
        f"<em>2024-05-{i + 1:02d}</em></div>"
        for i in range(8)
    )
    body = _page(NAV + f'<div class="con">{rows}</div>' + SIDEBAR)
    guess = discover_list_page(body, "http://example.gov.cn/col/col6864/sub/index.html")
    assert len(guess.article_links) == 8
    assert guess.article_links[3].url == "http://example.gov.cn/col/art/2024/5/3/art_1_3.html"
    assert guess.article_links[3].date == "2024-05-04"


def test_trs_create_page_html_next_index():
    body = _page(
        f'<ul class="list">{_rows("", 5, "./202405/t2024051{i}_1234{i}.shtml")}</ul>'
        '<div class="page"><script>createPageHTML(12, 0, "index", "shtml");</script></div>'
    )
    url = "http://www.pazjw.gov.cn/xw/index.shtml"
    guess = discover_list_page(body, url)
    assert guess.next_page == "http://www.pazjw.gov.cn/xw/index_1.shtml"
    assert guess.article_links[0].url == "http://www.pazjw.gov.cn/xw/202405/t20240510_12340.shtml"
    last = body.replace(b"createPageHTML(12, 0,", b"createPageHTML(12, 11,")
    assert discover_list_page(last, "http://www.pazjw.gov.cn/xw/index_11.shtml").next_page is None


def test_trs_pager_with_variables_and_element_id():
    script = (
        "<script>var countPage = 7; var currentPage = 2;"
        "createPageHTML('page_div', countPage, currentPage, 'list', 'html', 20);</script>"
    )
    body = _page(f"<ul>{_rows('', 3, 't2024051{i}_9{i}.html')}</ul>{script}")
    guess = discover_list_page(body, "http://x.gov.cn/zfyw/list_2.html")
    assert guess.next_page == "http://x.gov.cn/zfyw/list_3.html"


@pytest.mark.parametrize(
    ("url", "pager", "expected"),
    [
        # DedeCMS: list_{tid}_{n}.html with a 下一页 link
        (
            "http://x.cn/a/zfdt/list_2_3.html",
            '<a href="list_2_2.html">上一页</a><a href="list_2_1.html">1</a>'
            '<span class="thisclass">3</span><a href="list_2_4.html">下一页</a>',
            "http://x.cn/a/zfdt/list_2_4.html",
        ),
        # PHPCMS: list-{catid}-{n}.html, numbers only, current page unlinked
        (
            "http://x.cn/list-5-2.html",
            '<a href="list-5-1.html">1</a><span>2</span><a href="list-5-3.html">3</a>',
            "http://x.cn/list-5-3.html",
        ),
        # ?page=N on an ASP list, first page without the parameter
        (
            "http://x.cn/list.asp?lb=4",
            '<a href="list.asp?lb=4&amp;page=2">2</a><a href="list.asp?lb=4&amp;page=3">3</a>',
            "http://x.cn/list.asp?lb=4&page=2",
        ),
        # newer-first numbering: page 2 of the list is index_56, page 3 index_55
        (
            "http://x.cn/xw/index_56.html",
            '<a href="index.html">1</a><b>2</b><a href="index_55.html">3</a>'
            '<a href="index_54.html">4</a>',
            "http://x.cn/xw/index_55.html",
        ),
        # a bare ">" arrow
        (
            "http://x.cn/news/?page=3",
            '<a href="?page=2">&lt;</a><a href="?page=4">&gt;</a>',
            "http://x.cn/news/?page=4",
        ),
        # no pager text at all: the sibling URL one page on
        (
            "http://x.cn/xw/index_1.html",
            '<a href="index.html"></a><a href="index_2.html"><img src="n.gif"></a>',
            "http://x.cn/xw/index_2.html",
        ),
    ],
)
def test_next_page_styles(url, pager, expected):
    body = _page(
        f'<ul class="list">{_rows("", 4, "/a/{i}.html")}</ul><div class="pages">{pager}</div>'
    )
    assert discover_list_page(body, url).next_page == expected


def test_last_page_has_no_next():
    pager = '<a href="list-5-1.html">1</a><a href="list-5-2.html">2</a><span>3</span>'
    body = _page(f"<ul>{_rows('', 4, '/a/{i}.html')}</ul><div>{pager}</div>")
    assert discover_list_page(body, "http://x.cn/list-5-3.html").next_page is None


def test_hanweb_datastore_records_are_the_articles():
    records = "".join(
        f"<record><![CDATA[<li><a href='/art/2026/6/{i}/art_60096_1177851{i}.html' "
        f"title='标题{i}'>市委政法委召开第{i}次专题会议</a><span>2026-06-0{i}</span></li>]]></record>"
        for i in range(1, 4)
    )
    script = (
        '<script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
        f'dataproxy.jsp?page=1">]]></nextgroup><recordset>{records}</recordset></datastore></script>'
    )
    body = _page(NAV + f'<div id="6864">{script}</div>' + SIDEBAR)
    guess = discover_list_page(body, "http://www.zjsgat.gov.cn/col/col6864/index.html")
    assert [link.url for link in guess.article_links] == [
        f"http://www.zjsgat.gov.cn/art/2026/6/{i}/art_60096_1177851{i}.html" for i in range(1, 4)
    ]
    assert guess.article_links[1].date == "2026-06-02"


def test_gbk_list_page_with_relative_links():
    body = _page(
        f'<table class="list">{"".join(f"<tr><td><a href=../show/{i}.html>政法队伍教育整顿第{i}阶段</a></td><td>2021-03-0{i}</td></tr>" for i in range(1, 6))}</table>',
        charset="gbk",
    )
    guess = discover_list_page(body, "http://x.cn/news/list/index.html", "text/html")
    assert guess.article_links[0].text == "政法队伍教育整顿第1阶段"
    assert guess.article_links[-1].url == "http://x.cn/news/show/5.html"


def test_sections_skip_footer_home_and_article_links():
    body = _page(
        '<div class="top"><a href="/">网站首页</a></div>'
        '<div class="menu"><a href="/">首页</a><a href="/zfyw/">政法要闻</a><a href="/jcdt/">基层动态</a>'
        '<a href="/pafz/">平安法治</a><a href="http://other.example.com/x/">外站栏目</a></div>'
        f'<ul class="news">{_rows("", 5, "/zfyw/202405/t2024051{i}_1.html")}</ul>' + FOOTER
    )
    sections = discover_sections(body, "http://www.example.gov.cn/")
    assert [s.url for s in sections] == [
        "http://www.example.gov.cn/zfyw/",
        "http://www.example.gov.cn/jcdt/",
        "http://www.example.gov.cn/pafz/",
    ]


def test_empty_or_broken_pages_give_nothing():
    assert discover_list_page(b"", "http://x.cn/").article_links == []
    assert discover_list_page(b"\xff\xfe garbage", "http://x.cn/").next_page is None
    assert discover_sections(b"", "http://x.cn/") == []


# --- the CMS-family sample sites, walked with no profile ---------------------------------

# The sample sites of the CMS families (the hostile test site is no family's and has no nav).
FAMILY_SITES = [
    d.name
    for d in sorted(FIXTURES.glob("*"))
    if (d / "routes.json").is_file() and d.name != "hostile"
]


def _family(name: str):
    manifest = load_manifest(FIXTURES / name)
    base = manifest.get("base_url", BASE)
    expected = expected_articles(FIXTURES / name)

    def fetch(url: str) -> tuple[bytes, str] | None:
        route = manifest["routes"].get(url[len(base) :] or "/")
        if route is None:
            return None
        return (FIXTURES / name / route["file"]).read_bytes(), route["headers"].get(
            "Content-Type", ""
        )

    return manifest, base, expected, fetch


@pytest.mark.parametrize("name", [n for n in FAMILY_SITES if n != "pasxw"])
def test_family_homepage_nav_leads_to_every_section(name):
    manifest, base, _, fetch = _family(name)
    body, ctype = fetch(base + "/")
    found = [link.url for link in discover_sections(body, base + "/", ctype)]
    for section in manifest["sections"]:
        listed = base + section["list"]
        # the nav may link a section's directory (/padt/) rather than its first list page
        assert any(listed.startswith(url) or url.startswith(listed) for url in found), listed


@pytest.mark.parametrize("name", [n for n in FAMILY_SITES if n != "pasxw"])
def test_family_sections_walked_to_the_end_list_only_their_articles(name):
    """From each section's first list page, follow next_page to the end: every link found is
    an article of that section (no nav, sidebar or footer link), and, where the pages are
    plain HTML (not Hanweb's POSTed pages), every article of the section is found."""
    manifest, base, expected, fetch = _family(name)
    for section in manifest["sections"]:
        wanted = {e["url"] for e in expected if e["section"] == section["name"]}
        url, pages, found = base + section["list"], 0, []
        while url and pages <= section["pages"] + 1:
            fetched = fetch(url)
            assert fetched is not None, f"next page {url} is not on the site"
            guess = discover_list_page(*fetched[:1], url, fetched[1])
            found += [link.url for link in guess.article_links]
            pages += 1
            url = guess.next_page
        assert found and set(found) <= wanted, section["name"]
        if name != "hanweb":
            assert set(found) == wanted, section["name"]
            assert pages <= section["pages"] + 1
