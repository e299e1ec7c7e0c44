"""The drafter's pure parts: article regexes generalised from links, list-URL templates across
sections, CMS fingerprints, and per-field selectors written only where they beat the generic
extractor."""

from __future__ import annotations

import re

import pytest

from pingan_crawler.sites import family_names
from pingan_crawler.sites.fieldpick import FieldPicker, Sample, same_headline
from pingan_crawler.sites.fingerprints import FAMILIES, counter_kind, recognise
from pingan_crawler.sites.listplan import SectionPages, hanweb_params, plan_lists
from pingan_crawler.sites.profile import SiteProfile
from pingan_crawler.sites.urlshapes import generalise_article_urls

H = "http://www.x.gov.cn"


# --- article URL regexes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "seen, unseen",
    [
        # TRS: a new month and a longer id must match; a section dir no link showed too.
        (
            ["/padt/202205/t20220517_24057210.shtml", "/zfyw/202203/t20220315_24039116.shtml"],
            ["/newsec/202612/t20261231_124057210.shtml"],
        ),
        # Hanweb: unpadded month/day, any column.
        (
            ["/art/2026/6/1/art_60096_11778680.html", "/art/2026/5/27/art_60097_11778594.html"],
            ["/art/2027/12/31/art_61000_9.html"],
        ),
        # custom ASP query id that grows.
        (["/index.asp?bh=2021625173939780", "/index.asp?bh=202152015857118"], ["/index.asp?bh=9"]),
        # 32-hex ids (jlpeace-like).
        (
            [
                "/a/202601/0a1b2c3d4e5f60718293a4b5c6d7e8f9.shtml",
                "/a/202602/ffa1b2c3d4e5f60718293a4b5c6d7e8f.shtml",
            ],
            ["/a/202712/00000000000000000000000000000abc.shtml"],
        ),
    ],
)
def test_article_regex_matches_links_not_yet_seen_of_the_same_kind(seen, unseen):
    pattern = generalise_article_urls([H + p for p in seen])
    for path in [*seen, *unseen]:
        assert re.search(pattern.regex, path), (pattern.regex, path)


def test_article_regex_keeps_a_page_suffix_and_rejects_other_shapes():
    links = [f"/show-{c}-{i}-1.html" for c, i in ((6, 1597), (7, 1588), (8, 1585), (6, 1583))]
    pattern = generalise_article_urls([H + p for p in links])
    assert re.search(pattern.regex, "/show-9-2000-1.html")
    for other in ("/show-6-1597-2.html", "/list-6-2.html", "/", "/about.html"):
        assert not re.search(pattern.regex, other), other
    assert "(?P<id>" in pattern.regex  # the id, for counter_url templates


def test_two_url_shapes_become_an_alternation_and_a_stray_link_is_left_out():
    links = [f"/p/{n}.html" for n in range(83011, 83019)] + [
        "/notice/2024/83100.html",
        "/notice/2024/83101.html",
        "/zt/special.html",  # one stray link among many
    ]
    pattern = generalise_article_urls([H + p for p in links])
    assert len(pattern.clusters) == 2
    assert pattern.left_out == ["/zt/special.html"]
    assert re.search(pattern.regex, "/notice/2025/9.html")
    assert not re.search(pattern.regex, "/zt/special.html")


# --- list templates -----------------------------------------------------------------------


def pages(name, first, second=None, third=None, **kw):
    return SectionPages(
        name, H + first, H + second if second else None, H + third if third else None, **kw
    )


def test_dedecms_like_lists_give_a_per_section_variable_and_a_first_url():
    plan = plan_lists(
        H,
        [
            pages("a", "/zfdt/", "/zfdt/list_1_2.html", "/zfdt/list_1_3.html"),
            pages("b", "/pacj/", "/pacj/list_2_2.html"),
            pages("c", "/yasf/", "/yasf/list_3_2.html"),
        ],
    )
    assert (plan.style, plan.first_list_url, plan.first_page) == ("links", "/{section}/", 1)
    assert plan.list_url == "/{section}/list_{list_id}_{page}.html"
    assert [(s["id"], s["list_id"]) for s in plan.sections] == [
        ("zfdt", "1"),
        ("pacj", "2"),
        ("yasf", "3"),
    ]


def test_trs_lists_are_zero_based_after_an_unnumbered_first_page():
    plan = plan_lists(
        H,
        [
            pages("a", "/padt/", "/padt/index_1.shtml", "/padt/index_2.shtml", trs_pages=3),
            pages("b", "/zfyw/", "/zfyw/index_1.shtml", trs_pages=3),
        ],
    )
    assert (plan.style, plan.first_page) == ("trs", 0)
    assert (plan.first_list_url, plan.list_url) == ("/{section}/", "/{section}/index_{page}.shtml")


def test_a_query_page_number_and_a_first_page_that_fits_the_template():
    plan = plan_lists(
        H,
        [
            pages("a", "/list-6-1.html", "/list-6-2.html"),
            pages("b", "/list-7-1.html", "/list-7-2.html"),
        ],
    )
    assert (plan.first_list_url, plan.list_url) == ("", "/list-{section}-{page}.html")
    plan = plan_lists(
        H,
        [pages("a", "/news.php?cat=3", "/news.php?cat=3&p=2"), pages("b", "/news.php?cat=5")],
    )
    assert (plan.first_list_url, plan.list_url) == (
        "/news.php?cat={section}",
        "/news.php?cat={section}&p={page}",
    )


def test_a_section_of_another_shape_keeps_its_own_first_url():
    plan = plan_lists(
        H,
        [
            pages("a", "/c/jwdt/", "/c/jwdt/p2/", "/c/jwdt/p3/"),
            pages("b", "/c/zfyw/", "/c/zfyw/p2/"),
            pages("t", "/tzgg/index.html"),
        ],
    )
    assert (plan.first_list_url, plan.list_url) == ("{first}", "/c/{section}/p{page}/")
    assert [(s["id"], s["first"]) for s in plan.sections] == [
        ("jwdt", "/c/jwdt/"),
        ("zfyw", "/c/zfyw/"),
        ("tzgg", "/tzgg/index.html"),
    ]


def test_offset_paging_that_no_page_template_expresses_falls_back_to_discovery():
    plan = plan_lists(
        H,
        [
            pages("a", "/l.jsp?c=1", "/l.jsp?c=1&start=20", "/l.jsp?c=1&start=40"),
            pages("b", "/l.jsp?c=2", "/l.jsp?c=2&start=20"),
        ],
    )
    assert plan.style == "discover"
    assert [s["id"] for s in plan.sections] == [H + "/l.jsp?c=1", H + "/l.jsp?c=2"]


def test_hanweb_paging_parameters_come_from_the_jpage_call():
    text = """<script>$('#div1').jpage({dataStore:dataStore,
    proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage:15, totalRecord:80, groupSize:3,
    ajaxParam:{col:1,appid:1,webid:3,path:'/',columnid:6864,
    sourceContentType:1,unitid:9,webname:'某市网',permissiontype:0}});</script>"""
    params = hanweb_params(text)
    assert params["proxy_url"] == "/module/web/jpage/dataproxy.jsp"
    assert (params["perpage"], params["group_size"], params["total"]) == (15, 3, 80)
    assert params["form"]["columnid"] == "6864" and params["form"]["webname"] == "某市网"
    other = {**params, "form": {**params["form"], "columnid": "6865", "unitid": "10"}}
    plan = plan_lists(
        H,
        [
            pages("a", "/col/col6864/index.html", hanweb=params),
            pages("b", "/col/col6865/index.html", hanweb=other),
        ],
    )
    assert plan.style == "hanweb" and plan.list_url == "/col/col{section}/index.html"
    assert plan.pagination["group"] == 45
    form = plan.pagination["form"]
    assert (form["columnid"], form["unitid"], form["webid"]) == ("{section}", "{unitid}", "3")
    assert [s["unitid"] for s in plan.sections] == ["9", "10"]


# --- fingerprints -------------------------------------------------------------------------


def test_every_base_a_fingerprint_names_is_a_bundled_family():
    assert {f.base for f in FAMILIES if f.base} <= set(family_names())


@pytest.mark.parametrize(
    "html, links, family",
    [
        ('<meta name="PubDate" content="2022-01-01"><div class="TRS_Editor">', [], "trs"),
        ("<!-- Produced By 大汉网络 大汉版通发布系统 --><datastore>", [], "hanweb"),
        ('<script src="/e/public/ViewClick/?classid=2&id=9&addclick=1"></script>', [], "empirecms"),
        (
            '<script src="/system/resource/js/vsbscreen.min.js"></script>',
            ["/info/1012/3456.htm"],
            "vsb",
        ),
        (
            "<p>页面</p>",
            ["/Article/ShowArticle.asp?ArticleID=136", "/Item/11667.aspx"],
            "powereasy",
        ),
    ],
)
def test_fingerprints_name_the_family(html, links, family):
    guess = recognise([(H + "/", {"content-type": "text/html"}, html)], [H + p for p in links])
    assert guess.family is not None and guess.family.name == family


def test_asp_urls_alone_do_not_beat_a_real_cms_and_nothing_is_no_family():
    page = (
        '<script src="/plus/count.php?view=yes&aid=1&mid=1"></script>Powered by <a><strong>DedeCms'
    )
    guess = recognise([(H + "/", {"server": "Microsoft-IIS/6.0"}, page)], [H + "/a.asp?id=1"])
    assert guess.family.name == "dedecms"
    assert recognise([(H + "/", {}, "<p>x</p>")], [H + "/p/1.html"]).family is None


def test_counter_scripts_are_recognised_with_their_reply_mode():
    assert counter_kind("/plus/count.php?view=yes&aid=113&mid=1") == (
        "js_docwrite",
        "DedeCMS plus/count.php",
    )
    assert counter_kind("/api.php?op=count&id=1557&modelid=1")[0] == "jq_html"
    assert counter_kind("/tools/hits.jsp?newsid=99")[1] == "a counter script"
    assert counter_kind("/js/jquery.min.js") is None


# --- field selectors ----------------------------------------------------------------------


def article(title: str, when: str, body: str, foot: str = "", page_title: str = "") -> bytes:
    head = f"<title>{page_title or title + '_某市平安网'}</title>"
    return f"""<html><head><meta charset="utf-8">{head}</head>
<body><div class="logo">某市平安网</div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/l/">警务动态</a></div>
<div class="art"><div class="art-hd"><h3>{title}</h3></div>
<div class="art-info">发布时间：{when}　来源：某市公安局</div>
<div class="art-bd"><p>{body}</p><p>{body}又一段说明文字，内容比较充实。</p></div>
<div class="art-foot">{foot}</div></div>
<div class="bottom">地址：某市某路1号 电话：0000-1234567</div></body></html>""".encode()


def pick(pages: list[bytes], headlines: list[str]):
    samples = [
        Sample(f"{H}/p/{i}.html", body, "text/html", "警务动态", headline, "2024-03-0" + str(i + 1))
        for i, (body, headline) in enumerate(zip(pages, headlines, strict=True))
    ]
    bare = SiteProfile("x", "某市平安网", H, ".", "{section}")
    return FieldPicker(samples, bare).choose()


TITLES = ["江城区开展夜间巡逻行动", "河西派出所民警找回背包", "青山县交警整治道路隐患"]
BODY = "民警在辖区主要街道开展巡逻，当场劝离醉酒滋事人员，帮助走失老人回家。"


def test_no_selector_where_the_generic_extractor_already_gets_the_field():
    pages = [
        article(t, f"2024-03-0{i + 1} 10:00", BODY, "责任编辑：许静") for i, t in enumerate(TITLES)
    ]
    choices = pick(pages, TITLES)
    assert not choices["title"].written and choices["title"].generic_hits == 3
    assert not choices["published"].written and not choices["body"].written
    assert choices["breadcrumb"].written  # the generic extractor reads no section at all


def test_selectors_written_where_the_generic_extractor_fails_and_they_agree_on_every_page():
    # <title> holds no headline (the generic extractor misses it); the editor sits in a 'foot'
    # block, which the generic extractor reads, so no meta selector is needed.
    pages = [
        article(
            t, f"2024-03-0{i + 1} 10:00", BODY, "责任编辑：许静", page_title="某市平安网--内容页"
        )
        for i, t in enumerate(TITLES)
    ]
    choices = pick(pages, TITLES)
    assert choices["title"].written and choices["title"].hits == 3
    assert choices["title"].generic_hits == 0
    assert "editor 3/3" in choices["meta"].note
    assert not choices["meta"].written


def test_a_selector_that_misses_on_one_page_is_not_written():
    pages = [
        article(t, f"2024-03-0{i + 1} 10:00", BODY, page_title="某市平安网--内容页")
        for i, t in enumerate(TITLES)
    ]
    pages[1] = pages[1].replace(b'class="art-hd"', b'class="other-hd"')  # another template
    choices = pick(pages, TITLES)
    assert not (choices["title"].written and "art-hd" in choices["title"].selector)


def test_list_headlines_cut_short_still_match_their_titles():
    assert same_headline("江城区公安分局开展夜间巡逻“守夜行动”", "江城区公安分局开展夜间巡…")
    assert same_headline("江城区公安分局开展夜间巡逻", "江城区公安分局开展夜间巡逻")
    assert not same_headline("平安临江网", "江城区公安分局开展夜间巡…")
