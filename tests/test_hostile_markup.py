"""Markup built to make regexes rescan the page: each of these took a minute or more per
page before (lazy ``.*?`` patterns, unbounded runs); now each is read in one pass."""

from __future__ import annotations

import lxml.html

from pingan_crawler.parsing.discover import discover_list_page
from pingan_crawler.parsing.html import parse_html, strip_noise
from pingan_crawler.parsing.listing import cdata_records, datastore_records, trs_pager
from pingan_crawler.parsing.sniff import soft_404_reason

N = 20_000


def test_unclosed_scripts_styles_and_titles_do_not_stall_the_soft_404_check():
    assert soft_404_reason(b"<script>" * N) is None  # an open script hides the rest
    assert soft_404_reason(b"<style>" * N) is None
    assert soft_404_reason(b"<title>" * N) is None
    assert soft_404_reason(b"<a " * N) is None
    stub = soft_404_reason(b"<meta http-equiv=refresh " * N + b'content="0;url=/">')
    assert stub is None or "redirects" in stub
    assert soft_404_reason(b'location="' * N) is None


def test_the_soft_404_check_still_reads_stubs():
    page = (
        b"<html><head><title>\xe9\xa1\xb5\xe9\x9d\xa2\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</title>"
        b'<meta http-equiv="refresh" content="3;url=/index.html"></head>'
        b"<body><script>var a = '<p>' + 1;</script><p>\xe6\x8a\xb1\xe6\xad\x89</p></body></html>"
    )
    assert soft_404_reason(page) == (
        "a 7-character stub that redirects to '/index.html' (title '页面不存在')"
    )


def test_unclosed_datastore_records_end_the_records():
    assert list(cdata_records("<record><![CDATA[" * N)) == []
    text = (
        "<datastore><record><![CDATA[<li><a href='/art/1.html'>第一条</a></li>]]></record>"
        "<record> <![CDATA[<li><a href='/art/2.html'>第二条</a></li>]]> </record>"
        + "<record><![CDATA["
        * N
    )
    links, _ = datastore_records(text, "http://x.example.cn/col/")
    assert [link.url for link in links] == [
        "http://x.example.cn/art/1.html",
        "http://x.example.cn/art/2.html",
    ]


def test_script_traps_in_list_pages():
    scripts = [
        "<record><![CDATA[" * N,
        "createPageHTML(" * N,
        "createPageHTML(3, 0, 'index', 'shtml'); " + "a" * 200_000,
    ]
    rows = "".join(f"<li><a href='/a/2024/{n}.html'>第{n}条政法新闻标题</a></li>" for n in range(3))
    for script in scripts:
        page = f"<html><body><script>{script}</script><ul>{rows}</ul></body></html>"
        guess = discover_list_page(page.encode(), "http://x.example.cn/a/index.shtml")
        assert len(guess.article_links) == 3
    assert guess.next_page == "http://x.example.cn/a/index_1.shtml"
    assert trs_pager("createPageHTML( 1" * N) is None


def test_twenty_thousand_comments_and_scripts_are_stripped_keeping_the_text_between():
    pieces = "".join(f"<!-- 广告位{n} --><script>show({n})</script>第{n}句。" for n in range(N))
    root = parse_html(f"<html><body><div class='content'><p>导语。</p>{pieces}</div></body></html>")
    strip_noise(root)
    text = root.text_content()
    assert text.startswith("导语。第0句。第1句。")
    assert text.endswith(f"第{N - 1}句。")
    assert "广告位" not in text and "show(" not in text


def test_strip_noise_keeps_tails_in_place():
    root = parse_html(
        "<html><body><div>前<!--a-->中<script>x</script>后<p>段<span class='ad'>广告</span>尾</p>"
        "<style>s</style>末</div></body></html>"
    )
    strip_noise(root, (".ad",))
    div = root.find(".//div")
    assert lxml.html.tostring(div, encoding="unicode") == "<div>前中后<p>段尾</p>末</div>"
