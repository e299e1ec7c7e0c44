"""Credit lines: who wrote, edited, checked and photographed an article.

Government and party-paper templates print a block of credits under the body
(``编辑：张三 审核：李四``, ``撰稿：王五 摄影：赵六 责任编辑：钱七 终审：孙八``) or in the meta
line.
Every credit is kept as data, role → names in page order, and the single fields are derived
from them: ``editor`` is 责任编辑/责编, else 编辑 (and its variants), else 制作, and **never** a
reviewer (审核/审读/校对/终审 …) or a producer (监制/选稿/排版 …); ``byline`` is the reporters'
line (记者/通讯员/执笔 …); ``author`` is a 作者/撰稿 credit that names a person.
"""

from __future__ import annotations

import re

from pingan_crawler.parsing.people import (
    cut_affiliation,
    is_person,
    is_staff_code,
    looks_like_name,
    without_role,
)

Credits = tuple[tuple[str, tuple[str, ...]], ...]

# role label → kind. Labels are data: a site with another wording extends this table.
ROLES: dict[str, str] = {
    **dict.fromkeys(("责任编辑", "責任編輯", "责编", "責編"), "chief_editor"),
    **dict.fromkeys(
        (
            "编辑",
            "編輯",
            "本版编辑",
            "网络编辑",
            "网站编辑",
            "值班编辑",
            "文字编辑",
            "新媒体编辑",
            "编辑人",
            "小编",
        ),
        "editor",
    ),
    "制作": "maker",
    **dict.fromkeys(
        (
            "审核",
            "審核",
            "审读",
            "校对",
            "责任校对",
            "终审",
            "复审",
            "初审",
            "一审",
            "二审",
            "三审",
            "审校",
            "审签",
            "审定",
            "审稿",
            "签发",
            "核稿",
            "编审",
            "值班审核",
            "审核人",
            "审签人",
            "签发人",
        ),
        "reviewer",
    ),
    **dict.fromkeys(
        (
            "监制",
            "总监制",
            "出品",
            "出品人",
            "统筹",
            "策划",
            "总策划",
            "选稿",
            "排版",
            "美编",
            "美术编辑",
            "图片编辑",
            "视频编辑",
            "设计",
            "制图",
            "海报",
            "视觉",
            "配音",
            "主编",
            "副主编",
            "总编辑",
            "总编",
            "值班主任",
            "供稿",
            "供稿单位",
        ),
        "producer",
    ),
    **dict.fromkeys(
        ("作者", "原作者", "撰稿", "撰稿人", "撰文", "撰写", "文字", "发帖人", "楼主"), "author"
    ),
    **dict.fromkeys(
        (
            "记者",
            "本报记者",
            "本台记者",
            "本刊记者",
            "本网记者",
            "特约记者",
            "见习记者",
            "实习记者",
            "融媒体记者",
            "通讯员",
            "实习生",
            "执笔",
            "执笔人",
            "采写",
            "采访",
            "整理",
            "摄影",
            "摄像",
            "视频",
            "图片",
            "供图",
            "图文",
            "文图",
            "拍摄",
        ),
        "byline",
    ),
    **dict.fromkeys(
        ("发布人", "发布者", "录入", "录入人", "录入者", "发稿人", "上传者"), "account"
    ),
}
# One-character roles: 文：张三, 文/张三, 图｜李四. Only before a colon, slash or bar.
SHORT_ROLES = {"文": "author", "图": "byline"}
EDITOR_RANK = {"chief_editor": 0, "editor": 1, "maker": 2}
KIND_OF = {**ROLES, **SHORT_ROLES}

# Words that end a name list: what follows a name on a meta line but is not a name.
_NOT_A_NAME = re.compile(
    r"^(分享|出自|来自|转载|原创|访问|统计|评论|阅读|浏览|点击|字号|字体|打印|关闭|收藏|发表|发布|"
    r"时间|日期|返回|推荐|更多|首页|本站|编辑|审核|举报|缩小|放大|报道|摄|供稿|整理|参与|专稿)"
)
# What follows a name and says who they are: 南帆，系福建社科院研究员.
_AFFILIATION = re.compile(r"^(?:系[\u4e00-\u9fff]{2,}|现任|任职)")
_SPLIT = re.compile(r"[\s、,，;；/|｜]+")
_STRIP = " \t\r\n\u3000\xa0:：|｜丨,，;；.。、()（）[]【】<>《》\"'“”"


def role_kind(role: str) -> str:
    role = re.sub(r"\s+", "", role)
    if role in KIND_OF:
        return KIND_OF[role]
    return "byline" if re.search("(?:记者|通讯员)$", role) else "other"  # 新华社记者, 信报记者


def names_in(value: str, *, strict: bool = False) -> tuple[str, ...]:
    """The names at the start of a credit value, in order: ``宋怡 杨志华`` → two names;
    ``杜智 PX209`` → ``杜智`` (a staff code after a name is dropped); ``邹 明`` → ``邹明``
    (two-character names are padded to align with three); ``安东尼 7 分钟阅读`` → ``安东尼``.

    ``strict``: every name must look like one (for unlabelled slots)."""
    value = value.strip(_STRIP)
    if not value or re.search(r"[=<>\"]", value.split(" ")[0]):
        return ()  # 'size="20"': markup that followed an empty label, not a name
    tokens = [t.strip(_STRIP) for t in _SPLIT.split(value)]
    tokens = _merge_single_characters([t for t in tokens if t])
    names: list[str] = []
    for index, token in enumerate(tokens):
        token = without_role(token)
        if not token:
            continue  # 记者 / 通讯员 between names
        if is_staff_code(token) and names:
            continue
        if _NOT_A_NAME.match(token) or (index and _AFFILIATION.match(token)):
            break
        if index == 0 and not looks_like_name(token):
            cut = cut_affiliation(token) if re.match(r"^[\u4e00-\u9fff]{5,}", token) else None
            if cut:
                names.append(cut)
            elif not strict and len(token) <= 20 and not re.search(r"[:：]", token):
                names.append(token)  # 放飞&心情, 北京市发展和改革委员会: judged by the caller
            break
        if not looks_like_name(token):
            break
        if len(token) > 4 and re.match(r"^[\u4e00-\u9fff]+$", token):
            cut = cut_affiliation(token)
            if cut:
                names.append(cut)
            elif index == 0 and not strict:
                names.append(token)  # 系统管理员, 江山市委政法委: judged by the caller
            break
        names.append(token)
    return tuple(dict.fromkeys(names))


def _merge_single_characters(tokens: list[str]) -> list[str]:
    merged: list[str] = []
    for token in tokens:
        if (
            merged
            and len(token) == 1
            and len(merged[-1]) == 1
            and re.match(r"[\u4e00-\u9fff]", token + merged[-1])
        ):
            merged[-1] += token
        else:
            merged.append(token)
    return [t for t in merged if len(t) > 1 or not re.match(r"[\u4e00-\u9fff]", t)]


def merge(*groups: Credits) -> Credits:
    """Credits of several places, in order, each (role, names) once."""
    seen: dict[tuple[str, tuple[str, ...]], None] = {}
    for group in groups:
        for role, names in group:
            if names:
                seen.setdefault((role, names), None)
    return tuple(seen)


def editor_of(credits: Credits) -> str | None:
    """责任编辑/责编 > 编辑 (本版编辑, 网络编辑 …) > 制作; first in page order within a rank.
    Reviewers and producers are never the editor."""
    ranked = [
        (EDITOR_RANK[role_kind(role)], index, names)
        for index, (role, names) in enumerate(credits)
        if role_kind(role) in EDITOR_RANK
    ]
    return _joined(min(ranked)[2]) if ranked else None


def author_of(credits: Credits, editor: str | None = None) -> str | None:
    """The first 作者/撰稿 credit that names people (not an account, an office or the editor)."""
    for role, names in credits:
        if role_kind(role) != "author":
            continue
        value = _joined(names)
        if is_person(value) and value != editor:
            return value
    return None


def byline_of(credits: Credits) -> str | None:
    """记者 张三 通讯员 李四: the reporters' credits as one line."""
    parts = [f"{role} {' '.join(names)}" for role, names in credits if role_kind(role) == "byline"]
    return " ".join(parts) or None


def _joined(names: tuple[str, ...]) -> str:
    return " ".join(names)
