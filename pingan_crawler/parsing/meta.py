"""Read the article meta line (发布于/来源/作者/责任编辑/浏览 …) by its labels.

Real meta lines put several ``label:value`` pairs on one line separated by spaces, ``|``,
``&nbsp;`` or 【】, with clutter such as 字号/打印本页 mixed in, e.g.
``【来源：县委政法委】 【录入时间：14-01-09 09:06:17】 【浏览次数：42】``. Labels are data here,
so a site with another wording extends the tables, not the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pingan_crawler.parsing.dates import find_date_text

LABELS: dict[str, tuple[str, ...]] = {
    "published": (
        "发布于",
        "发布日期",
        "发布时间",
        "发稿时间",
        "發稿時間",
        "发表时间",
        "发表于",
        "发表日期",
        "发文日期",
        "成文日期",
        "录入时间",
        "更新时间",
        "公开日期",
        "时间",
        "日期",
    ),
    "source": ("文章来源", "信息来源", "新闻来源", "来源", "來源", "稿源", "出处"),
    "author": ("作者", "记者", "通讯员", "撰稿", "撰文", "文", "作者名"),
    "editor": ("责任编辑", "责编", "编辑", "制作", "审核"),
    "views": (
        "浏览次数",
        "浏览量",
        "点击数",
        "点击量",
        "阅读数",
        "阅读量",
        "浏览",
        "点击",
        "阅读",
        "热度",
    ),
}
CLUTTER = re.compile(
    r"字号|字体|打印本页|打印|关闭窗口|关闭本页|收藏本页|分享到|[【\[]\s*[大中小]?\s*[】\]]|新闻热线"
)
_LABEL_TO_FIELD = {label: name for name, labels in LABELS.items() for label in labels}


def _alternation(labels) -> str:
    # Longest labels first so 发布时间 wins over 时间 and 责任编辑 over 编辑.
    return "|".join(sorted(map(re.escape, labels), key=len, reverse=True))


# A label is followed by a colon, or (date labels only) directly by the date: "发表于 2005-9-15".
# A one-character label (文:) must not be the tail of a word (正文:, 原文:).
LABEL_RE = re.compile(
    "(?P<label>"
    + _alternation(label for label in _LABEL_TO_FIELD if len(label) > 1)
    + r")\s*(?:[:：]|(?<=[于期间])\s*(?=(?:\d{4}|\d{2})\s*[-/.年]\s*\d{1,2}\s*[-/.月]))"
    + r"|(?<![\u4e00-\u9fff])(?P<short>文)\s*[:：]"
)
# Any label word, colon or not: a cheap test for "this text may hold a meta field".
LABEL_WORD_RE = re.compile(_alternation(_LABEL_TO_FIELD))
_SEPARATORS = re.compile(r"\s{2,}|[|｜【】\[\]]|\u3000|\xa0")
# Words that follow a name on a meta line but are not part of it (分享, 出自, 阅读 …).
_NOT_A_NAME = re.compile(
    r"^(分享|出自|来自|转载|原创|访问|统计|评论|阅读|浏览|点击|字号|字体|打印|关闭|收藏|发表|发布|"
    r"时间|日期|返回|推荐|更多|首页|本站|编辑|审核)"
)
_NAME_TOKEN = re.compile(r"^(?:[\u4e00-\u9fff·]{2,4}|[A-Za-z][\w.&-]{0,30})$")
_OPEN_TO_CLOSE = {"（": "）", "(": ")", "【": "】", "[": "]", "《": "》", "“": "”"}
MAX_VALUE_LENGTH = {"source": 40, "author": 30, "editor": 20}
_LEADING_COUNT = re.compile(r"^\s*\d[\d,]*\s*次?")
_COUNT_RE = re.compile(r"^\s*(-?\d[\d,]*)\s*次?\s*$")


@dataclass(frozen=True)
class MetaFields:
    """Raw label values found in a meta line; None where the label was absent."""

    published: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    views: str | None = None

    def merged(self, other: MetaFields) -> MetaFields:
        """Fill this object's gaps from ``other``."""
        return MetaFields(
            **{
                name: getattr(self, name)
                if getattr(self, name) is not None
                else getattr(other, name)
                for name in LABELS
            }
        )


def _clean_value(value: str, field: str) -> str:
    value = unicodedata.normalize("NFKC", value) if field == "views" else value
    value = _SEPARATORS.split(value.strip(), maxsplit=1)[0] if field != "published" else value
    value = CLUTTER.split(value)[0]
    if field == "views" and (count := _LEADING_COUNT.match(value)):
        value = count.group(0)  # "3727;评论:63", "1660) 评论(5)": the count, not what follows
    if field != "published" and (date := find_date_text(value)):
        value = value.split(date[:4])[0]  # "编辑:向宏鑫 2017-09-28": the date is not the name
    value = _drop_unbalanced_close(value.strip(" \t\r\n\u3000\xa0:：|,，;；"))
    if field in ("author", "editor"):
        value = _names_only(value)
    if len(value) > MAX_VALUE_LENGTH.get(field, 10**6):
        return ""  # a sentence after 作者: is body text that happens to hold the label
    return value.strip(" \t\r\n\u3000\xa0:：|,，;；")


def _drop_unbalanced_close(value: str) -> str:
    """``（责任编辑：褚晓）`` leaves ``褚晓）``: a closing bracket with no opener is not its."""
    while value and value[-1] in _OPEN_TO_CLOSE.values():
        opener = next(o for o, c in _OPEN_TO_CLOSE.items() if c == value[-1])
        if value.count(opener) >= value.count(value[-1]):
            break
        value = value[:-1].rstrip()
    return value


def _names_only(value: str) -> str:
    """``宋怡 杨志华`` stays; ``安东尼 7 分钟`` and ``赵婕 出自`` keep only the names."""
    tokens = value.split(" ")
    if re.search(r"[=<>\"']", tokens[0]):
        return ""  # 'size="20"': markup that followed the label, not a name
    kept = [tokens[0]]
    for token in tokens[1:]:
        if not _NAME_TOKEN.match(token) or _NOT_A_NAME.match(token):
            break
        kept.append(token)
    return " ".join(kept)


def parse_meta_line(text: str) -> MetaFields:
    """Split one meta line (or a few) into raw label values; the first occurrence wins."""
    found: dict[str, str] = {}
    matches = list(LABEL_RE.finditer(text))
    for i, match in enumerate(matches):
        field = _LABEL_TO_FIELD[match.group("label") or match.group("short")]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = _clean_value(text[match.end() : end], field)
        if field == "published":
            value = _SEPARATORS.sub(" ", value).strip()
            date = find_date_text(value)
            if not date:
                continue  # "时间:" with no date after it: look further
            if date in value:
                value = value[value.index(date) :][: len(date)]  # "12:40 - (阅读:…": just the date
        if value or field == "views":
            found.setdefault(field, value)
    if "published" not in found and (date := find_date_text(text)):
        found["published"] = date  # unlabelled: "2025年07月02日 03:19编辑:抚州小编"
    return MetaFields(**found)


def is_blank_count(raw: str | None) -> bool:
    """``浏览:次`` or ``浏览次数:``: the template printed no number (not a bad one)."""
    return raw is None or not raw.replace("次", "").strip()


def parse_view_count(raw: str | None) -> int | None:
    """``1154次`` → 1154; empty, negative or non-numeric counts are None (the raw text is kept)."""
    if is_blank_count(raw):
        return None
    match = _COUNT_RE.match(unicodedata.normalize("NFKC", raw))
    if not match:
        return None
    value = int(match.group(1).replace(",", ""))
    return value if value >= 0 else None
