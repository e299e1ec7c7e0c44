"""Read the article meta line (发布于/来源/作者/责任编辑/浏览 …) by its labels.

Real meta lines put several ``label:value`` pairs on one line separated by spaces, ``|``,
``&nbsp;`` or 【】, with clutter such as 字号/打印本页 mixed in, e.g.
``【来源：县委政法委】 【录入时间：14-01-09 09:06:17】 【浏览次数：42】``. Credit blocks under
the body use the same form (``编辑：张三 审核：李四``, ``编辑|禤志杰``, ``作者 王之言 高孜然``).
Labels are data here, so a site with another wording extends the tables, not the code; the
credit roles and what each one means live in :mod:`credits`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pingan_crawler.parsing import credits as credit_roles
from pingan_crawler.parsing.credits import Credits, names_in
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
    "source": (
        "文章来源",
        "信息来源",
        "稿件来源",
        "新闻来源",
        "内容来源",
        "本文来源于",
        "本文来源",
        "文章来源于",
        "来源于",
        "来源",
        "來源",
        "稿源",
        "出处",
        "出自",
        "转载自",
        "转自",
        "来自",
        "原创",
    ),
    "views": (
        "浏览次数",
        "浏览量",
        "点击数",
        "点击量",
        "点击次数",
        "阅读数",
        "阅读量",
        "阅读次数",
        "访问量",
        "访问次数",
        "查看次数",
        "阅读全文",
        "浏览",
        "点击",
        "阅读",
        "阅览",
        "热度",
        "人气",
    ),
}
# Labels that name people: every credit role (作者, 记者, 责任编辑, 审核 …).
CREDIT_LABELS = tuple(credit_roles.ROLES)
CLUTTER = re.compile(
    r"字号|字体|字级|打印本页|打印|关闭窗口|关闭本页|关闭|收藏本页|收藏|分享到|分享|举报|纠错|"
    r"扫一扫|扫描|二维码|复制链接|语音播报|播报|朗读|视力保护|护眼|背景色|放大|缩小|调整|默认|"
    r"[【\[]\s*[大中小]?\s*[】\]]|新闻热线|参与互动|我要评论|评论\s*\d|手机看|用微信|下载|A\+|A-"
)
# A 字号 control printed as bare letters after a value: "市政府办 大 中 小", "超大 大 标准 小".
_SIZE_CONTROL = re.compile(r"\s+(?:超大|特大|标准|[大中小])(?:\s+(?:超大|特大|标准|[大中小]))+\s*$")
_LABEL_TO_FIELD = {label: name for name, labels in LABELS.items() for label in labels}


def _alternation(labels) -> str:
    # Longest labels first so 发布时间 wins over 时间 and 责任编辑 over 编辑. Plain literals
    # only: the regex engine then skips ahead by their first characters, which keeps the
    # search fast on every text piece of a page.
    variants = {v for label in labels for v in _spaced(label)}
    return "|".join(sorted(map(re.escape, variants), key=len, reverse=True))


def _spaced(label: str) -> tuple[str, ...]:
    """Two-character roles are padded to line up with longer ones: 审 读, 监 制, 作 者."""
    if len(label) == 2 and label in credit_roles.ROLES:
        return label, f"{label[0]} {label[1]}", f"{label[0]}\u3000{label[1]}"
    return (label,)


_FIELD_OF_LABEL = {
    **{v: "credit" for label in CREDIT_LABELS for v in _spaced(label)},
    **{v: field for field, labels in LABELS.items() for label in labels for v in _spaced(label)},
    "文": "short",
    "图": "short",
}
# What may follow each kind of label: a colon (or 丨 | / for credits and sources: 编辑|张三,
# 文丨李四, 来源 | 某报), or (date labels only) directly the date: "发表于 2005-9-15", or
# (counts only) directly the number: "阅读10544次", "阅读(1660)".
_DATE_AHEAD = r"(?=(?:\d{4}|\d{2})\s*[-/.年]\s*\d{1,2}\s*[-/.月])"
_AFTER = {
    "published": re.compile(rf"\s*(?:[:：]|(?<=[于期间])\s*{_DATE_AHEAD})"),
    "source": re.compile(
        r"\s*(?:[:：]|[|｜丨](?!\s*$)|(?<=出自)(?=\s*[\[【《])|(?<=来源于|转载自)|(?<=转自))"
    ),
    "views": re.compile(r"\s*(?:[:：]|(?=[\s(（\[【]*\d)|(?=\s*次))"),
    "credit": re.compile(r"\s*(?:[:：]|[|｜丨/](?!\s*$))"),
    "short": re.compile(r"\s*(?:[:：]|[/丨|｜](?!\s*$))"),
}
# Every label, then anything one of them may be followed by; which follower fits which label
# is checked after the match (see _accepted), and so is what may precede a label: a source
# label is never the tail of a word (图片来源, 资料来源, 线索来源 are not the article's
# source), 延伸阅读 is no count. One alternation of plain literals keeps the search fast
# (the engine skips ahead by their first characters) on every text piece of a page.
LABEL_RE = re.compile(
    rf"(?P<label>{_alternation(_FIELD_OF_LABEL)})"
    rf"\s*(?:[:：|｜丨/]|(?=[\s(（\[【]*\d)|(?=\s*次)|(?<=出自)(?=\s*[\[【《])|(?<=[于自]))"
)
_NOT_A_COUNT_BEFORE = ("延伸", "相关", "推荐", "拓展", "扩展", "深度", "继续")
# A credit role may also stand before the names with only a space, at the start of a line
# or after a separator: "作者 王之言 高孜然", "编辑 周褶褶 ｜ 排版 魏蔚"; a reporter role
# after any space, with its outlet before it: "（新华社记者 王曦 通讯员 李明）".
_SPACED_CREDIT = re.compile(rf"(?P<credit>{_alternation(CREDIT_LABELS)}|记者|通讯员)\s+(?=\S)")
_SEPARATOR_BEFORE = "|｜丨【[(（，,、》"
_CREDIT_LINE = re.compile(rf"\s*[【\[(（]?\s*(?:{_alternation(CREDIT_LABELS)})[\s:：|｜丨/]")


def _accepted(match: re.Match, text: str) -> tuple[str, int] | None:
    """(field, end of the label and its colon) for a LABEL_RE match that is a real label."""
    label = match.group("label")
    field = _FIELD_OF_LABEL.get(label, "credit")
    after = _AFTER[field].match(text, match.end("label"))
    if after is None:
        return None
    before = text[: match.start()]
    if field in ("source", "short") and before and "\u4e00" <= before[-1] <= "\u9fff":
        return None
    if field == "views" and before.endswith(_NOT_A_COUNT_BEFORE):
        return None
    return field, after.end()


def _spaced_credits(text: str, loose: bool = False):
    """(start, end, role) of credit roles followed by a space only (see _SPACED_CREDIT).
    ``loose``: the text is a credit line (it starts with a role), where any space may
    separate one credit from the next: "编辑 张三 审核 李四"."""
    for match in _SPACED_CREDIT.finditer(text):
        start, role = match.start(), re.sub(r"\s+", "", match.group("credit"))
        reporter = re.search("记者|通讯员|实习生", role)
        if reporter:
            while (
                start > 0 and match.start() - start < 8 and "\u4e00" <= text[start - 1] <= "\u9fff"
            ):
                start -= 1  # 新华社记者, 信报记者: the outlet belongs to the role
            role = re.sub(r"\s+", "", text[start : match.start()]) + role
        before = text[:start]
        stripped = before.rstrip(" \t\u3000\xa0")
        if (
            not stripped
            or stripped[-1] in _SEPARATOR_BEFORE + "\n"
            or before.endswith("  ")
            or ((reporter or loose) and before[-1:].isspace())
        ):
            yield start, match.end(), role


# Any label word, colon or not: a cheap test for "this text may hold a meta field".
_SHORT_WORDS = tuple(f"{role}{mark}" for role in "文图" for mark in ":：/丨|｜")
LABEL_WORD_RE = re.compile(_alternation((*_LABEL_TO_FIELD, *CREDIT_LABELS, *_SHORT_WORDS)))
_SEPARATORS = re.compile(r"\s{2,}|[|｜【】\[\]\n]|\u3000|\xa0")
MAX_VALUE_LENGTH = {"source": 40}
_LEADING_COUNT = re.compile(r"^\s*[(（\[【]?\s*\d[\d,]*(?:\.\d+)?\s*(?:万|w|W)?\+?\s*次?")
_COUNT_RE = re.compile(
    r"^\s*[(（\[【]?\s*(\d[\d,]*(?:\.\d+)?)\s*(万|w|W|亿)?\+?\s*次?\s*[)）\]】]?\s*$"
)
# A count printed before its word: "1154次浏览", "3.2万阅读", "已有 123 人阅读".
# A count printed before its word: "1154次浏览", "3.2万阅读", "已有 123 人阅读". Found from the
# word back (a search that starts with a digit class is slow on long text).
_COUNT_WORD = re.compile(r"浏览|阅读|点击|阅览")
_COUNT_BEFORE = re.compile(
    r"(?<![\d.,:：\w])(\d[\d,]*(?:\.\d+)?\s*(?:万|w|W)?\+?)\s*(?:次|人次|人)?\s*$"
)
_NOT_AFTER_COUNT = re.compile(r"[量数次]|\s*[:：(（]")
# "您是本文第 154 个阅览者": a per-article counter (a site's "第N位访客" is not one).
_NTH_READER = re.compile(
    r"本[文篇页帖贴]第\s*(\d[\d,]*)\s*[个位名]\s*(?:阅览者|读者|浏览者|访问者|访客)"
)


def count_phrase(text: str) -> str | None:
    """The count of a phrase such as 1154次浏览 or 您是本文第 154 个阅览者, or None."""
    if nth := _NTH_READER.search(text):
        return nth.group(1)
    for word in _COUNT_WORD.finditer(text):
        if _NOT_AFTER_COUNT.match(text, word.end()):
            continue
        count = _COUNT_BEFORE.search(text, max(0, word.start() - 24), word.start())
        if count:
            return count.group(1).strip()
    return None


def has_label(text: str) -> bool:
    """Does ``text`` hold a label with its value (or a count phrase such as 1154次浏览)?"""
    if any(_accepted(m, text) is not None for m in LABEL_RE.finditer(text)):
        return True
    return bool(next(_spaced_credits(text), None) or count_phrase(text))


# Prose, not a credit: "记者：请问这项工作……？" (an interview line starts like a credit).
_PROSE = re.compile(r"[。！？；]|[，,](?!\s*系)")


@dataclass(frozen=True)
class MetaFields:
    """Raw label values found in a meta line; None where the label was absent.

    An empty ``source``/``views`` (``""``) means the label is printed with no value, which
    is not the same as no label: an empty 来源 is never filled from elsewhere."""

    published: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    views: str | None = None
    credits: Credits = ()
    byline: str | None = None

    def merged(self, other: MetaFields) -> MetaFields:
        """Fill this object's gaps from ``other``; credits of both, this one's first.

        A printed value beats an empty label, whichever comes first."""
        values = {}
        for name in ("published", "source", "author", "editor", "views", "byline"):
            mine, theirs = getattr(self, name), getattr(other, name)
            values[name] = theirs if mine is None or (mine == "" and theirs) else mine
        return MetaFields(**values, credits=credit_roles.merge(self.credits, other.credits))


def _clean_value(value: str, field: str) -> str:
    value = unicodedata.normalize("NFKC", value) if field == "views" else value
    if field == "source":
        if re.search(r"[=<>\"]", value.strip().split(" ")[0] if value.strip() else ""):
            return ""  # 'size="20"': markup that followed an empty label, not a source
        value = re.sub(r"^\s*[\[【]([^\]】]{1,40})[\]】]", r"\1", value)  # 出自[人民文学出版社]
    value = _SEPARATORS.split(value.strip(), maxsplit=1)[0] if field != "published" else value
    value = CLUTTER.split(value)[0]
    if field == "views" and (count := _LEADING_COUNT.match(value)):
        value = count.group(0).lstrip("(（[【 ")  # "3727;评论:63", "1660) 评论(5)": the count
    if field != "published" and (date := find_date_text(value)):
        value = value.split(date[:4])[0]  # "来源:新华社 2017-09-28": the date is not the name
    value = _drop_unbalanced_close(value.strip(" \t\r\n\u3000\xa0:：|,，;；"))
    if field == "source":
        value = _SIZE_CONTROL.sub("", value)
        value = _source_tokens(value)
    if len(value) > MAX_VALUE_LENGTH.get(field, 10**6):
        return ""  # a sentence after 来源: is body text that happens to hold the label
    return value.strip(" \t\r\n\u3000\xa0:：|,，;；")


def _source_tokens(value: str) -> str:
    """``东方网 选稿`` → ``东方网``; ``人民日报 海外版`` stays: words up to the first clutter
    word or lone character (the 大/中/小 of a 字号 control)."""
    kept: list[str] = []
    for token in value.split(" "):
        if not token:
            continue
        if kept and (len(token) == 1 or CLUTTER.match(token) or token in ("原创", "转载")):
            break
        kept.append(token)
    value = " ".join(kept)
    return "" if len(value) == 1 and "\u4e00" <= value <= "\u9fff" else value


def _drop_unbalanced_close(value: str) -> str:
    """``（责任编辑：褚晓）`` leaves ``褚晓）``: a closing bracket with no opener is not its."""
    pairs = {"）": "（", ")": "(", "】": "【", "]": "[", "》": "《", "”": "“"}
    while value and value[-1] in pairs:
        if value.count(pairs[value[-1]]) >= value.count(value[-1]):
            break
        value = value[:-1].rstrip()
    return value


def _matches(text: str) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, field, label, spaced) of every label in ``text``, in order; ``spaced``
    marks a credit role followed by a space only, whose names must look like names."""
    found = []
    for match in LABEL_RE.finditer(text):
        accepted = _accepted(match, text)
        if accepted is None:
            continue
        field, end = accepted
        label = re.sub(r"\s+", "", match.group("label"))
        found.append((match.start(), end, "credit" if field == "short" else field, label))
    taken = [(start, end) for start, end, _, _ in found]
    spaced = [
        (start, end, "credit", role)
        for start, end, role in _spaced_credits(text, loose=bool(_CREDIT_LINE.match(text)))
        if not any(s <= start < e or start <= s < end for s, e in taken)
    ]
    return sorted([(*m, False) for m in found] + [(*m, True) for m in spaced])


def parse_meta_line(text: str) -> MetaFields:
    """Split one meta line (or a few) into raw label values; the first occurrence wins.

    Every credit (作者, 记者, 编辑, 审核 …) is kept in order; ``editor``, ``author`` and
    ``byline`` are derived from them."""
    found: dict[str, str] = {}
    credits: list[tuple[str, tuple[str, ...]]] = []
    matches = _matches(text)
    for i, (_, end, field, label, spaced) in enumerate(matches):
        stop = matches[i + 1][0] if i + 1 < len(matches) else len(text)
        raw = text[end:stop]
        if field == "credit":
            names = _credit_names(raw, strict=spaced or label in credit_roles.SHORT_ROLES)
            if names:
                credits.append((label, names))
            continue
        value = _clean_value(raw, field)
        if field == "published":
            value = _SEPARATORS.sub(" ", value).strip()
            date = find_date_text(value)
            if not date:
                continue  # "时间:" with no date after it: look further
            if date in value:
                value = value[value.index(date) :][: len(date)]  # "12:40 - (阅读:…": just the date
        odd = field == "views" and value and not _COUNT_RE.match(value)
        if odd and (not re.search(r"次$|^-?\d", value) or len(value) > 12):
            continue  # "点击：查看原文": not a count; "浏览：abc次" is a bad one, kept
        if field == "source" and value and label == "来自" and _is_place(value):
            continue  # "来自北京市": the reader's IP location, not a source
        if value or field in ("views", "source"):
            if found.get(field) == "" and value:
                found[field] = value
            else:
                found.setdefault(field, value)
    if "views" not in found or not found["views"]:
        count = count_phrase(text)
        if count:
            found["views"] = count
    if "published" not in found and (date := find_date_text(text)):
        found["published"] = date  # unlabelled: "2025年07月02日 03:19编辑:抚州小编"
    people = tuple(credits)
    editor = credit_roles.editor_of(people)
    return MetaFields(
        **found,
        editor=editor,
        author=credit_roles.author_of(people, editor),
        byline=credit_roles.byline_of(people),
        credits=people,
    )


def _credit_names(raw: str, strict: bool) -> tuple[str, ...]:
    """The names a credit label gives, or () when the label sits in prose."""
    value = raw.strip().split("\n")[0]
    value = CLUTTER.split(value)[0]
    if date := find_date_text(value):
        value = value.split(date[:4])[0]
    value = _drop_unbalanced_close(value.strip(" \t\r\n\u3000\xa0:：|,，;；"))
    if _PROSE.search(value.rstrip("。")):
        return ()
    return names_in(value, strict=strict)


_PLACE = re.compile(
    r"^(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|"
    r"湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门|海外|"
    r"美国|日本|英国|加拿大|澳大利亚)[\u4e00-\u9fff]{0,6}$"
)


def _is_place(value: str) -> bool:
    return bool(_PLACE.match(value)) and not re.search(r"[报网社台刊]$", value)


def is_blank_count(raw: str | None) -> bool:
    """``浏览:次`` or ``浏览次数:``: the template printed no number (not a bad one)."""
    return raw is None or not raw.replace("次", "").strip()


def parse_view_count(raw: str | None) -> int | None:
    """``1154次`` → 1154; ``(1660)`` → 1660; ``3.2万`` → 32000; ``10万+`` → 100000.

    A count in 万 is rounded by the site (``3.2万`` is 31 500–32 499): it is stored as the
    number it stands for, and ``view_count_raw`` keeps the printed text so the rounding can
    be seen. Empty, negative or non-numeric counts are None."""
    if is_blank_count(raw):
        return None
    match = _COUNT_RE.match(unicodedata.normalize("NFKC", raw))
    if not match:
        return None
    number, unit = match.group(1).replace(",", ""), match.group(2)
    if unit:
        scale = 100_000_000 if unit == "亿" else 10_000
        return round(float(number) * scale)
    if "." in number:
        return None  # "3.5" with no unit is not a count of views
    return int(number)
