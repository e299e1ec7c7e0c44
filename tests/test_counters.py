"""View counters without a profile: each CMS family's counter is found, reported in its
read-only form where one exists, and every reply format is read (parsing/counters.py)."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.counters import find_page_counter, read_counter
from pingan_crawler.parsing.html import parse_html

URL = "http://www.pa-mouxian.example.gov.cn/news/2024/0601/123.html"


def _counter(snippet: str, tail: str = ""):
    page = (
        "<html><head><meta charset='utf-8'><title>t</title></head><body>"
        f"<div class='article'><h1>某县开展平安创建</h1><div class='info'>发布时间：2024-06-01 "
        f"{snippet}</div><div class='content'><p>正文内容。</p></div></div>{tail}</body></html>"
    )
    return find_page_counter(parse_html(page), URL)


@pytest.mark.parametrize(
    ("snippet", "tail", "url", "kind", "family"),
    [
        (
            '点击：<script src="/plus/count.php?view=yes&aid=123&mid=1"></script>次',
            "",
            "http://www.pa-mouxian.example.gov.cn/plus/count.php?view=yes&aid=123&mid=1",
            "js_docwrite",
            "dedecms",
        ),
        (
            '浏览次数：<span id="hits"></span>',
            '<script src="/api.php?op=count&amp;id=123&amp;modelid=1"></script>',
            "http://www.pa-mouxian.example.gov.cn/api.php?op=count&id=123&modelid=1",
            "jq_html",
            "phpcms",
        ),
        (
            "点击：<script src=/e/public/ViewClick/?classid=2&id=123&addclick=1></script>",
            "",
            # the read-only form: without addclick=1 EmpireCMS does not count the call
            "http://www.pa-mouxian.example.gov.cn/e/public/ViewClick/?classid=2&id=123",
            "js_docwrite",
            "empirecms",
        ),
        (
            '点击次数：<script>_showDynClicks("wbnews", 1663284523, 6432)</script>',
            "",
            "http://www.pa-mouxian.example.gov.cn/system/resource/code/news/click/dynclicks.jsp"
            "?clickid=6432&owner=1663284523&clicktype=wbnews",
            "plain",
            "vsb",
        ),
        (
            "浏览次数：<iframe src='/module/visitcount/visit.jsp?type=3&i_webid=1&i_columnid=2"
            "&i_articleid=123'></iframe>",
            "",
            "http://www.pa-mouxian.example.gov.cn/module/visitcount/visit.jsp?type=3&i_webid=1"
            "&i_columnid=2&i_articleid=123",
            "html",
            "hanweb",
        ),
        (
            '访问次数：<script src="/module/visitcount/articlehits.jsp?colid=2&artid=123">'
            "</script>",
            "",
            "http://www.pa-mouxian.example.gov.cn/module/visitcount/articlehits.jsp?colid=2&artid=123",
            "js_docwrite",
            "hanweb",
        ),
        (
            '点击数：<script src="/Common/GetHits.aspx?id=123"></script> 次',
            "",
            "http://www.pa-mouxian.example.gov.cn/Common/GetHits.aspx?id=123",
            "js_docwrite",
            "powereasy",
        ),
        (
            "点击数：<script src='/Article/GetHits.asp?ArticleID=123'></script>",
            "",
            "http://www.pa-mouxian.example.gov.cn/Article/GetHits.asp?ArticleID=123",
            "js_docwrite",
            "powereasy",
        ),
        (
            '点击数：<script src="/item/GetHits.asp?Action=Count&GetFlag=0&m=1&ID=123"></script>',
            "",
            "http://www.pa-mouxian.example.gov.cn/item/GetHits.asp?Action=Count&GetFlag=0&m=1&ID=123",
            "js_docwrite",
            "kesion",
        ),
        (
            "浏览次数：<span id='browse_cnt'></span><script>exeRequest('/cms/PluginCtrl', show, "
            "'page=LoadBrowseCntPage&article_id=123');</script>",
            "",
            "http://www.pa-mouxian.example.gov.cn/cms/PluginCtrl?page=LoadBrowseCntPage&article_id=123",
            "plain",
            "jsp_plugin",
        ),
        (
            '浏览次数：<span id="views"></span>',
            '<script>Cms.viewCount("", "123");</script>',
            "http://www.pa-mouxian.example.gov.cn/content_view.jspx?contentId=123",
            "json",
            "jeecms",
        ),
        (
            "[浏览<script src='http://bbs.example.cn/cgi-bin/count.cgi?num=123'></script>次]",
            "",
            "http://bbs.example.cn/cgi-bin/count.cgi?num=123",
            "js_docwrite",
            "labelled",
        ),
        (
            '阅读量：<em id="readCount"></em>',
            '<script>$.get("/api/article/reads", {articleId: 123}, function(n){'
            '$("#readCount").text(n);});</script>',
            "http://www.pa-mouxian.example.gov.cn/api/article/reads?articleId=123",
            "plain",
            "labelled",
        ),
        (
            '浏览：<span id="pv"></span>',
            '<script>$.ajax({url: "/stat/pv.do?id=" + 123, dataType: "json", success: '
            'function(data){ $("#pv").html(data.count); }});</script>',
            "http://www.pa-mouxian.example.gov.cn/stat/pv.do?id=123",
            "json",
            "labelled",
        ),
        (
            '阅读次数：<span class="readCount"></span>',
            '<script>$.post("/news/addhits", {id: 12}, function (res) {'
            '$(".readCount").html(res.data); });</script>',
            "http://www.pa-mouxian.example.gov.cn/news/addhits?id=12",
            "json",
            "labelled",
        ),
        (
            '浏览量：<b id="num"></b>',
            '<script>var x = new XMLHttpRequest(); x.open("GET", "/stat/count.jsp?docid=88");'
            'x.onload = function () { document.getElementById("num").innerHTML = x.responseText; };'
            "x.send();</script>",
            "http://www.pa-mouxian.example.gov.cn/stat/count.jsp?docid=88",
            "plain",
            "labelled",
        ),
    ],
)
def test_counter_of_each_family(snippet, tail, url, kind, family):
    counter = _counter(snippet, tail)
    assert counter is not None
    assert (counter.url, counter.kind, counter.family) == (url, kind, family)


@pytest.mark.parametrize(
    ("snippet", "tail"),
    [
        # a site-wide visitor counter is not the article's
        (
            "",
            "<div class='footer'>访问量：<script src='http://count.example.com/c.php?id=9'></script></div>",
        ),
        ("", "<iframe src='/module/visitcount/visit.jsp?type=1&i_webid=1&i_columnid=2'></iframe>"),
        # a static library after a word that ends in 点击 is no counter
        ("热门点击<script src='/js/jquery.min.js'></script>", ""),
        # DedeCMS count.php without view=yes counts but shows nothing
        ("<script src='/plus/count.php?aid=123&mid=1'></script>", ""),
        # EmpireCMS ViewClick with down=2 is the download counter
        ("下载：<script src=/e/public/ViewClick/?classid=2&id=123&down=2></script>", ""),
        # a counter hidden with display:none is not shown to readers
        (
            "<span style='display:none'><script src='/item/GetHits.asp?Action=Count&ID=1'>"
            "</script></span>",
            "",
        ),
    ],
)
def test_not_an_article_counter(snippet, tail):
    assert _counter(snippet, tail) is None


def test_printed_count_wins_and_profile_settings_are_untouched():
    page = (
        "<html><head><meta charset='utf-8'><title>某县开展平安创建</title></head><body>"
        "<h1>某县开展平安创建</h1><div class='info'>发布时间：2024-06-01 点击：<span>45</span>次"
        "<script src='/plus/count.php?view=yes&aid=1&mid=1'></script></div>"
        "<div class='content'><p>全县政法机关推动矛盾纠纷就地化解，平安建设取得新成效。</p></div>"
        "</body></html>"
    ).encode()
    article = extract_article(page, URL)
    assert article.view_count == 45
    assert article.counter_url is None and article.counter_kind is None
    blank = page.replace(b"<span>45</span>", b"")
    article = extract_article(blank, URL)
    assert article.view_count is None
    assert (
        article.counter_url
        == "http://www.pa-mouxian.example.gov.cn/plus/count.php?view=yes&aid=1&mid=1"
    )
    assert article.counter_kind == "js_docwrite"


@pytest.mark.parametrize(
    ("reply", "mode", "count"),
    [
        (b"document.write('1154');\r\n", "js_docwrite", "1154"),
        (b'document.write("<span>2,310</span>");', "js_docwrite", "2,310"),
        (b"document.writeln(87)", "js_docwrite", "87"),
        (
            b"$('#todaydowns').html('3');$('#weekdowns').html('9');$('#hits').html('1155');",
            "jq_html",
            "1155",
        ),
        (b"document.getElementById('hits').innerHTML = '64';", "jq_html", "64"),
        (b"  2528\r\n", "plain", "2528"),
        (b'{"wbshowtimes":425,"randomid":"n","wbnewsid":16788}', "json", "425"),
        (b"[320,4,0,12,1]", "json", "320"),  # JEECMS: views, comments, downloads, ups, downs
        (b'jsonp1716({"code":0,"data":{"hits":77}})', "json", "77"),
        (
            "<html><body><font color=red>浏览次数：</font><b>1094</b></body></html>".encode(),
            "html",
            "1094",
        ),
        (b"<html><body>562</body></html>", "html", "562"),
        # whatever the mode says, every format is read
        (b"document.write('42');", "jq_html", "42"),
        (b"$('#hits').html('43');", "js_docwrite", "43"),
        (b'{"count": 44}', "plain", "44"),
    ],
)
def test_every_reply_format_is_read(reply, mode, count):
    assert read_counter(reply, mode) == count


@pytest.mark.parametrize(
    "reply", [b"", b"document.write('');", b"<html><body>error</body></html>", b'{"ok":true}']
)
def test_reply_without_a_count(reply):
    assert read_counter(reply, "js_docwrite") is None
