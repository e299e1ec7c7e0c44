"""Credits, editors, authors and bylines: the rules of parsing/credits.py and people.py,
then the same rules on small pages written the way templates print them."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.credits import author_of, byline_of, editor_of, merge, names_in
from pingan_crawler.parsing.meta import parse_meta_line
from pingan_crawler.parsing.people import cut_affiliation, is_account, is_organisation, is_person


@pytest.mark.parametrize(
    ("line", "editor"),
    [
        ("编辑：鲁思远 审核：詹宏图", "鲁思远"),
        ("审核：詹宏图 编辑：鲁思远", "鲁思远"),  # the order does not matter
        ("编辑：祁晓萌 责任编辑：郑书瑶", "郑书瑶"),  # 责任编辑 beats 编辑
        ("责编：黄忆南 PN269", "黄忆南"),  # a staff code after the name is dropped
        ("[责任编辑：杜智 PX209]", "杜智"),
        ("（责任编辑： HN666）", "HN666"),  # a code that is the whole value is the value
        ("审核：詹宏图 校对：贺长青 终审：卫东升 审读：崔向升", None),  # reviewers only
        ("总监制：邹 明 监 制：高明勇 选稿：曾炟 排版：魏蔚", None),  # producers only
        ("编辑|禤志杰 责编|陈梦莹 校对|黄慧敏", "陈梦莹"),
        ("编辑 周褶褶 ｜ 排版 魏蔚", "周褶褶"),
        ("本版编辑:小纪", "小纪"),
        ("初审：赵一 复审：钱二 终审：孙三", None),
    ],
)
def test_editor_is_never_a_reviewer(line, editor):
    assert parse_meta_line(line).editor == editor


def test_every_credit_is_kept_in_page_order():
    line = "撰稿：王五 摄影：赵六 责任编辑：钱七 终审：孙八"
    fields = parse_meta_line(line)
    assert fields.credits == (
        ("撰稿", ("王五",)),
        ("摄影", ("赵六",)),
        ("责任编辑", ("钱七",)),
        ("终审", ("孙八",)),
    )
    assert (fields.author, fields.editor, fields.byline) == ("王五", "钱七", "摄影 赵六")
    # padded two-character roles and names: 审 读, 邹 明
    assert parse_meta_line("审 读：崔向升").credits == (("审读", ("崔向升",)),)
    assert parse_meta_line("总监制：邹 明").credits == (("总监制", ("邹明",)),)


def test_merge_keeps_order_and_drops_repeats():
    first = (("编辑", ("甲某",)), ("审核", ("乙某",)))
    second = (("审核", ("乙某",)), ("终审", ("丙某",)))
    assert merge(first, second) == (("编辑", ("甲某",)), ("审核", ("乙某",)), ("终审", ("丙某",)))
    assert editor_of(merge(second, first)) == "甲某"


@pytest.mark.parametrize(
    ("line", "byline"),
    [
        ("（记者 王曦 通讯员 李明）", "记者 王曦 通讯员 李明"),
        ("(信报记者 蔡雪婧)", "信报记者 蔡雪婧"),
        ("本报记者 施雨晴　通讯员 尤国栋", "本报记者 施雨晴 通讯员 尤国栋"),
        ("新华社记者 邹某为、唐某凝", "新华社记者 邹某为 唐某凝"),
        ("执笔/叨叨姐", "执笔 叨叨姐"),
    ],
)
def test_reporters_are_the_byline_not_the_author(line, byline):
    fields = parse_meta_line(line)
    assert fields.byline == byline
    assert fields.author is None


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("宋怡 杨志华", ("宋怡", "杨志华")),
        ("张伟、刘洋", ("张伟", "刘洋")),
        ("杜智 PX209", ("杜智",)),
        ("邹 明", ("邹明",)),
        ("本报记者 单宇航", ("单宇航",)),
        ("方敏北京大学经济学院教授", ("方敏",)),
        ("南帆，系福建社科院研究员", ("南帆",)),
        ("安东尼 7 分钟阅读", ("安东尼",)),
        ('size="20"', ()),
    ],
)
def test_names_in_a_credit_value(value, names):
    assert names_in(value) == names


@pytest.mark.parametrize(
    "value",
    ["系统管理员", "管理员", "admin", "信息发布员6", "区司法局编辑员", "佚名", "本站", "12345"],
)
def test_publishing_accounts_are_not_people(value):
    assert not is_person(value)


@pytest.mark.parametrize(
    "value", ["丰台区", "北京市发展和改革委员会", "江山市委政法委", "某县公安局", "街道综治中心"]
)
def test_offices_and_districts_are_not_people(value):
    assert is_organisation(value)
    assert not is_person(value)


@pytest.mark.parametrize(
    "value", ["王晓明", "刘建会", "李小科", "欧阳靖", "宋怡 杨志华", "zboygirl"]
)
def test_people_are_people(value):
    assert is_person(value)
    assert not is_account(value)


def test_author_is_not_the_editor_nor_an_account():
    credits = (("作者", ("系统管理员",)), ("作者", ("郑书瑶",)), ("责任编辑", ("郑书瑶",)))
    assert author_of(credits, editor="郑书瑶") is None
    assert author_of(credits) == "郑书瑶"
    assert byline_of(credits) is None
    assert cut_affiliation("李四中国政法大学副教授") == "李四"


# --- on pages ---------------------------------------------------------------------------

PARAGRAPHS = "".join(
    f"<p>　　镇综治中心坚持每周研判，把矛盾纠纷化解在基层，全镇信访总量同比下降了三成以上，"
    f"群众满意度不断提升（第{i}段）。</p>"
    for i in range(1, 5)
)


def _article(meta: str = "", after: str = "", head: str = "", inside: str = ""):
    page = (
        f"<html><head><meta charset='utf-8'><title>某镇召开平安建设推进会_平安某县</title>{head}"
        "</head><body><div class='nav'><a href='/'>首页</a><a href='/l/'>工作动态</a></div>"
        f"<div class='article'><h1>某镇召开平安建设推进会</h1>{meta}"
        f"<div class='content'>{PARAGRAPHS}{inside}</div>{after}</div>"
        "<div class='footer'>主办：中共某县委政法委员会 技术支持：某网络公司</div></body></html>"
    )
    return extract_article(page.encode(), "http://www.pa-mouxian.example.gov.cn/a/1.html")


def test_vsb_style_editor_then_reviewer_under_the_body():
    article = _article(
        "<div class='info'>发布时间：2024-06-01</div>", "<p>编辑：鲁思远</p><p>审核：詹宏图</p>"
    )
    assert article.editor == "鲁思远"
    assert article.credits == (("编辑", ("鲁思远",)), ("审核", ("詹宏图",)))
    assert "审核" not in article.body and "编辑" not in article.body


def test_reviewer_inside_the_body_text_and_editor_at_the_top():
    article = _article(
        "<div class='info'>发布时间：2024-06-01 编辑：祁晓萌</div>",
        inside="<p>（审核：詹宏图 终审：卫东升）</p>",
    )
    assert article.editor == "祁晓萌"
    assert ("审核", ("詹宏图",)) in article.credits


def test_account_or_office_in_the_author_slot_is_no_author():
    for value in ("系统管理员", "信息发布员6", "丰台区", "北京市发展和改革委员会"):
        article = _article(f"<div class='info'>发布时间：2024-06-01 作者：{value}</div>")
        assert article.author is None, value
        assert article.credits == (("作者", (value,)),)


def test_meta_author_tag_is_never_the_author():
    # Government templates fill <meta name="Author"> with the account or the department.
    for value in ("系统管理员", "丰台区", "王晓明"):
        article = _article(
            "<div class='info'>发布时间：2024-06-01</div>",
            head=f'<meta name="Author" content="{value}">',
        )
        assert article.author is None, value


def test_credit_lines_in_a_br_separated_body():
    article = _article(
        "<div class='info'>发布时间：2024-06-01</div>",
        inside="<div>最后一段正文。<br>编辑|禤某杰<br>责编|陈某莹<br>校对|黄某敏<br>扫码关注</div>",
    )
    assert article.editor == "陈某莹"
    assert ("校对", ("黄某敏",)) in article.credits


def test_name_line_under_an_essay_headline_is_the_author():
    article = _article("<p>胡某平</p>")
    assert article.author == "胡某平"
    # a column name or a date line in that place is not
    assert _article("<p>2024-06-01</p>").author is None


def test_forum_poster_is_the_author():
    article = _article("<div class='post'>本帖由大卫于2005年8月12日16:12:21发表</div>")
    assert article.author == "大卫"
    article = _article("<div class='post'>ggjjzhzz 发表于 2005-9-15 11:46:00</div>")
    assert article.author == "ggjjzhzz"
