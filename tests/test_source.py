"""来源 without a profile: the article's own label, else the portal's time + source slot;
never a value from elsewhere on a page that prints none (parsing/pagemeta.py)."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.article import extract_article

PARAGRAPHS = "".join(
    f"<p>　　全县政法机关坚持和发展新时代“枫桥经验”，推动矛盾纠纷就地化解，群众安全感满意度"
    f"持续提升，平安建设取得新成效（第{i}段）。</p>"
    for i in range(1, 5)
)
HEAD = (
    '<meta name="ContentSource" content="某县人民政府办公室"><meta name="Author" content="丰台区">'
)
SIDE_LIST = (
    '<div class="right"><h3>部门动态</h3><ul>'
    + "".join(
        f'<li><a href="/a/{i}.html">某局开展业务培训第{i}期活动</a> 来源：县司法局 '
        f"2024-05-0{i}</li>"
        for i in range(1, 6)
    )
    + "</ul></div>"
)


def _source(meta: str, side: str = "", hidden: str = "") -> str | None:
    page = (
        f"<html><head><meta charset='utf-8'><title>县公安局召开全警大会_某县人民政府</title>{HEAD}"
        "</head><body><div class='header'>某县人民政府 2024年06月01日 星期六</div>"
        f"<div class='nav'><a href='/'>首页</a><a href='/a'>政务公开</a></div>{hidden}"
        f"<div class='container'><div class='left'><div class='article'><h1>县公安局召开全警大会"
        f"</h1>{meta}<div class='content'>{PARAGRAPHS}</div></div></div>{side}</div>"
        "<div class='footer'>主办：某县人民政府办公室 承办：某县大数据中心 版权所有</div>"
        "</body></html>"
    )
    return extract_article(page.encode(), "http://www.mouxian.example.gov.cn/art/1.html").source


@pytest.mark.parametrize(
    "meta",
    [
        "<div class='info'>2024-06-01 10:30 <a>打印</a> <a>关闭</a></div>",
        "<div class='info'><span>2024-06-01</span><span>政务公开</span></div>",
        "<div class='info'><span class='time'>2024-06-01</span>"
        "<span class='name'>综合新闻</span></div>",
        "<div class='info'>发布时间：2024-06-01　【字体：<a>大</a> <a>中</a> <a>小</a>】</div>",
        "<div class='info'><span>2024-06-01</span><span class='author'>王晓明</span></div>",
        "<div class='info'>来源：　发布时间：2024-06-01　字号：大 中 小</div>",  # an empty label
    ],
)
def test_no_source_is_taken_from_elsewhere(meta):
    # not the footer's 主办, not a sidebar list item's 来源, not <meta name=ContentSource>,
    # not a column name or a person beside the date
    assert _source(meta) is None
    assert _source(meta, SIDE_LIST) is None


def test_hidden_copy_of_the_meta_line_is_not_read():
    hidden = "<div style='display:none'>2024-06-01 来源：某搜索引擎专用 作者：某人</div>"
    assert _source("<div class='info'>发布时间：2024-06-01</div>", hidden=hidden) is None


@pytest.mark.parametrize(
    ("meta", "source"),
    [
        ("<div class='info'>发布时间：2024-06-01 来源：县公安局 浏览次数：12</div>", "县公安局"),
        ("<div class='info'><span>来源：</span><span>县司法局</span></div>", "县司法局"),
        # the portal slot: the element says source, or the name reads as an outlet
        (
            "<div class='date-source'><span class='date'>2024年05月16日 17:02</span>"
            "<a class='source' href='http://x.example.cn/'>每日某某新闻</a></div>",
            "每日某某新闻",
        ),
        ("<div class='info'><span>2024-06-01 10:30</span> <span>某晚报</span></div>", "某晚报"),
        (
            "<div class='meta'><span class='original'>原创</span> <span>某都市报</span> "
            "<span>2019-09-09 16:01:46</span></div>",
            "某都市报",
        ),
        # the ContentSource tag counts where the page prints it there
        ("<div class='info'>2024-06-01 10:30 某县人民政府办公室</div>", "某县人民政府办公室"),
    ],
)
def test_source_where_the_page_prints_one(meta, source):
    assert _source(meta, SIDE_LIST) == source


def test_labelled_source_after_the_body_beats_the_slot():
    meta = "<div class='info'><span>2024-06-01</span> <span>某新闻网</span></div>"
    page_source = _source(meta + "<p class='end'>（来源：某日报）</p>")
    assert page_source == "某日报"
