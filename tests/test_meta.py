"""Meta-line labels as real sites print them (research/sites.md §4), and what they are not."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.meta import MetaFields, parse_meta_line, parse_view_count


def _fields(line: str) -> dict:
    """The label values of a line, credits as (role, names) pairs, without empty ones."""
    fields = parse_meta_line(line)
    return {k: v for k, v in vars(fields).items() if v not in (None, ())}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "发布于:2020-12-8 15:04:17  浏览:1154次",
            {"published": "2020-12-8 15:04:17", "views": "1154次"},
        ),
        (
            "日期:2020-08-26 15:33 来源:《统一论坛》杂志 作者:潘佳瑭 字号: [小] [中] [大] 打印本页 关闭窗口",
            {
                "published": "2020-08-26 15:33",
                "source": "《统一论坛》杂志",
                "author": "潘佳瑭",
                "credits": (("作者", ("潘佳瑭",)),),
            },
        ),
        (
            "来源: 新法治报·赣法云 | 日期: 2025年09月22日 | 制作: 聂琪 | 新闻热线: 0791-86847870",
            {
                "published": "2025年09月22日",
                "source": "新法治报·赣法云",
                "editor": "聂琪",
                "credits": (("制作", ("聂琪",)),),
            },
        ),
        (
            "2025年07月02日 03:19编辑:抚州小编 新闻热线:0791-86847179",
            {
                "published": "2025年07月02日 03:19",
                "editor": "抚州小编",
                "credits": (("编辑", ("抚州小编",)),),
            },
        ),
        (
            "来源:湖南日报 作者:王曦 编辑:向宏鑫 2017-09-28 08:58:12",
            {
                "published": "2017-09-28 08:58:12",
                "source": "湖南日报",
                "author": "王曦",
                "editor": "向宏鑫",
                "credits": (("作者", ("王曦",)), ("编辑", ("向宏鑫",))),
            },
        ),
        (
            "【来源：县委政法委】 【录入时间：14-01-09 09:06:17】 【浏览次数：42】",
            {"published": "14-01-09 09:06:17", "source": "县委政法委", "views": "42"},
        ),
        (
            "發稿時間:2020-06-05 13:46:38 來源:光明日報",
            {"published": "2020-06-05 13:46:38", "source": "光明日報"},
        ),
    ],
)
def test_meta_lines(line, expected):
    assert _fields(line) == expected


def test_empty_labels_are_kept_empty_not_filled():
    # Hanweb prints the labels with no values; an empty 来源 is "" (printed, no value).
    fields = parse_meta_line("发布日期:2024-05-10 10:39 浏览次数: 字体:[ ]")
    assert (fields.published, fields.views, fields.source) == ("2024-05-10 10:39", "", None)
    fields = parse_meta_line("来源：　作者：　发布时间：2024-01-05　字号：大 中 小")
    assert (fields.source, fields.author, fields.credits) == ("", None, ())
    # a printed value anywhere beats an empty label printed first
    merged = MetaFields(source="").merged(MetaFields(source="县人民法院"))
    assert merged.source == "县人民法院"


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("来源：市政府办 大 中 小", "市政府办"),  # a 字号 control printed as bare letters
        ("2019-08-13 14:07来源：澎湃新闻·澎湃号·政务 字号 超大 大 标准 小", "澎湃新闻·澎湃号·政务"),
        ("来源: 长江网 调整字号", "长江网"),
        ("2024-05-13 12:03:10 作者：曹磊 来源:东方网 选稿：曾炟", "东方网"),
        ("来源：人民网 分享：微信 微博", "人民网"),
        ("来源：某晚报 【打印】【关闭】", "某晚报"),
        ("来源：新华社 举报 缩小字体", "新华社"),
        ("本文来源于北京商报 2024-05-20 09:47:48", "北京商报"),
        ("作者： 赵婕 出自[人民文学出版社]", "人民文学出版社"),
        ("来源 | 综合某某报、某某网", "综合某某报、某某网"),
        ("来源：浙江日报责任编辑：张三", "浙江日报"),
        ("来自：新华社", "新华社"),
    ],
)
def test_source_values_lose_the_clutter_that_follows_them(line, source):
    assert parse_meta_line(line).source == source


@pytest.mark.parametrize(
    "line",
    [
        "图片来源：城市轨道交通年度统计报告",  # a caption's source, not the article's
        "（资料来源：某某参考、某某网等）",
        "线索来源：群众举报",
        "2024年01月25日 18:03:35 来自内蒙古自治区",  # the reader's IP location
        '来源：size="20"',  # markup after an empty label
        "来源： 字号：大 中 小",
    ],
)
def test_what_is_not_a_source(line):
    assert not parse_meta_line(line).source


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # DedeCMS puts the editor in brackets at the end of the body
        ("（责任编辑：褚晓）", {"editor": "褚晓", "credits": (("责任编辑", ("褚晓",)),)}),
        # blog footers: the date label with no colon, counts in brackets
        (
            "发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)",
            {"published": "2004年12月27日 12:40", "views": "3727"},
        ),
        ("ggjjzhzz 发表于 2005-9-15 11:46:00", {"published": "2005-9-15 11:46:00"}),
        # names end where the words that are not names begin; two names stay two names
        (
            "作者：宋怡 杨志华  来源：千龙网",
            {
                "author": "宋怡 杨志华",
                "source": "千龙网",
                "credits": (("作者", ("宋怡", "杨志华")),),
            },
        ),
        ("作者:安东尼 7 分钟阅读", {"author": "安东尼", "credits": (("作者", ("安东尼",)),)}),
        # a label inside a sentence is not a field: too long to be a name
        (
            "作者：被称之为最缺乏手术根治信心的肺癌，“我的手术病人很大一部分术后可以不做放、化疗了。”",
            {},
        ),
        # an interview line starts like a credit, but it is prose
        ("记者：请问这项工作下一步怎么开展？", {}),
        # a date label with no date after it leaves the date to a later label
        (
            "时间： 来源：平安南湖网 发布日期：2021-02-24",
            {"source": "平安南湖网", "published": "2021-02-24"},
        ),
    ],
)
def test_harder_meta_lines(line, expected):
    assert _fields(line) == expected


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("1154次", 1154),
        ("42", 42),
        ("１２３", 123),
        ("1,204", 1204),
        ("(1660)", 1660),
        ("0", 0),
        ("3.2万", 32000),  # rounded by the site; view_count_raw keeps "3.2万"
        ("10万+", 100000),  # a lower bound
        ("1.5亿", 150000000),
        ("", None),
        ("次", None),
        ("-5", None),
        ("3.5", None),  # a fraction with no unit is no count
        ("abc", None),
        (None, None),
    ],
)
def test_view_counts(raw, count):
    assert parse_view_count(raw) == count


@pytest.mark.parametrize(
    ("line", "views"),
    [
        ("阅读10544次", "10544次"),
        ("阅读 3.2万", "3.2万"),
        ("1154次浏览", "1154"),
        ("已有 123 人阅读", "123"),
        ("(本文发表于首页某栏目, 已被阅读178次)", "178次"),
        ("您是本文第 154 个阅览者", "154"),
        ("阅读数(15878)", "15878"),
        ("点击数：39", "39"),
        ("15:04:17  浏览：12", "12"),  # the time before a label is not a count
        ("浏览:abc次", "abc次"),  # a bad count is kept raw (and warned about by the parser)
    ],
)
def test_printed_counts(line, views):
    assert parse_meta_line(line).views == views


@pytest.mark.parametrize(
    "line",
    [
        "延伸阅读：某县召开平安建设推进会",
        "点击：查看原文",
        "249人参与 49评论",  # participation and comments are not views
        "您是本站第 8812 位访客",  # a site's visitor counter, not the article's
    ],
)
def test_what_is_not_a_view_count(line):
    assert not parse_meta_line(line).views
