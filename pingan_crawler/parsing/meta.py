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
        "录入时间",
        "更新时间",
        "公开日期",
        "时间",
        "日期",
    ),
    "source": ("文章来源", "信息来源", "新闻来源", "来源", "來源", "稿源", "出处"),
    "author": ("作者", "记者", "通讯员", "撰稿"),
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
# Longest labels first so 发布时间 wins over 时间 and 责任编辑 over 编辑.
LABEL_RE = re.compile(
    "(?P<label>"
    + "|".join(sorted(map(re.escape, _LABEL_TO_FIELD), key=len, reverse=True))
    + r")\s*[:：]"
)
_SEPARATORS = re.compile(r"\s{2,}|[|｜【】\[\]]|\u3000|\xa0")
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
    if field != "published" and (date := find_date_text(value)):
        value = value.split(date[:4])[0]  # "编辑:向宏鑫 2017-09-28": the date is not the name
    return value.strip(" \t\r\n\u3000\xa0:：|,，;；")


def parse_meta_line(text: str) -> MetaFields:
    """Split one meta line (or a few) into raw label values; the first occurrence wins."""
    found: dict[str, str] = {}
    matches = list(LABEL_RE.finditer(text))
    for i, match in enumerate(matches):
        field = _LABEL_TO_FIELD[match.group("label")]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = _clean_value(text[match.end() : end], field)
        if field == "published":
            value = _SEPARATORS.sub(" ", value).strip()
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
