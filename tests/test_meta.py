"""Meta-line labels as real sites print them (research/sites.md §4)."""

from __future__ import annotations

import pytest

from pingan_crawler.parsing.meta import parse_meta_line, parse_view_count


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "发布于:2020-12-8 15:04:17  浏览:1154次",
            {"published": "2020-12-8 15:04:17", "views": "1154次"},
        ),
        (
            "发布日期:2024-05-10 10:39 浏览次数: 字体:[ ]",
            {"published": "2024-05-10 10:39", "views": ""},
        ),
        (
            "日期:2020-08-26 15:33 来源:《统一论坛》杂志 作者:潘佳瑭 字号: [小] [中] [大] 打印本页 关闭窗口",
            {"published": "2020-08-26 15:33", "source": "《统一论坛》杂志", "author": "潘佳瑭"},
        ),
        (
            "来源: 新法治报·赣法云 | 日期: 2025年09月22日 | 制作: 聂琪 | 新闻热线: 0791-86847870",
            {"published": "2025年09月22日", "source": "新法治报·赣法云", "editor": "聂琪"},
        ),
        (
            "2025年07月02日 03:19编辑:抚州小编 新闻热线:0791-86847179",
            {"published": "2025年07月02日 03:19", "editor": "抚州小编"},
        ),
        (
            "时间:2022-09-12   来源:民主与法制周刊  责任编辑:编辑",
            {"published": "2022-09-12", "source": "民主与法制周刊", "editor": "编辑"},
        ),
        (
            "来源:湖南日报 作者:王曦 编辑:向宏鑫 2017-09-28 08:58:12",
            {
                "published": "2017-09-28 08:58:12",
                "source": "湖南日报",
                "author": "王曦",
                "editor": "向宏鑫",
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
    fields = parse_meta_line(line)
    got = {k: v for k, v in vars(fields).items() if v is not None}
    assert got == expected


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("1154次", 1154),
        ("42", 42),
        ("１２３", 123),
        ("1,204", 1204),
        ("0", 0),
        ("", None),
        ("次", None),
        ("-5", None),
        ("abc", None),
        (None, None),
    ],
)
def test_view_counts(raw, count):
    assert parse_view_count(raw) == count


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # DedeCMS puts the editor in brackets at the end of the body
        ("（责任编辑：褚晓）", {"editor": "褚晓"}),
        # blog footers: the date label with no colon, counts in brackets
        (
            "发表于 2004年12月27日 12:40 - (阅读:3727;评论:63)",
            {"published": "2004年12月27日 12:40", "views": "3727"},
        ),
        ("ggjjzhzz 发表于 2005-9-15 11:46:00", {"published": "2005-9-15 11:46:00"}),
        # names end where the words that are not names begin; two names stay two names
        ("作者：宋怡 杨志华  来源：千龙网", {"author": "宋怡 杨志华", "source": "千龙网"}),
        ("作者:安东尼 7 分钟阅读", {"author": "安东尼"}),
        ("作者：赵婕 出自：《新京报》", {"author": "赵婕"}),
        # a label inside a sentence is not a field: too long to be a name
        (
            "作者：被称之为最缺乏手术根治信心的肺癌，“我的手术病人很大一部分术后可以不做放、化疗了。”",
            {},
        ),
        # a date label with no date after it leaves the date to a later label
        (
            "时间： 来源：平安南湖网 发布日期：2021-02-24",
            {"source": "平安南湖网", "published": "2021-02-24"},
        ),
    ],
)
def test_harder_meta_lines(line, expected):
    fields = parse_meta_line(line)
    got = {k: v for k, v in vars(fields).items() if v}
    assert got == expected
