"""Is this value a person? Names as meta lines print them, and the things that are not names.

A 作者/责任编辑 slot holds a person on most pages, but CMS templates and the government-site
``<meta name="Author">`` fill it with whatever the publishing system knows: the account that
pressed "publish" (系统管理员, 信息发布员6, 某区某局编辑员), the department or district that
owns the site (丰台区, 北京市发展和改革委员会), 佚名, a number. Those are not authors. A
newspaper or portal name (新京报) printed after 作者 is kept: that is what the page says.
"""

from __future__ import annotations

import re
import unicodedata

# The commonest Chinese surnames (about 85 % of people): a three-character value that starts
# with one of these and ends in 科/会/村 … is more likely a given name than an office.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Offices, places and organisations end like this. Administrative words make an office at
# any length ≥ 3 (丰台区, 公安局); the others only from four characters on, since given
# names end in 会/科/村 too (刘建会).
_ADMIN_END = "区县市省州镇乡旗盟局厅署委办处"
_ORG_END = "院所部会站队馆室组村科社团"
_ORG_WORDS = re.compile(
    r"委员会|人民政府|政府|办公室|管理局|公安局|司法局|分局|派出所|支队|大队|中队|法院|检察院|"
    r"街道|社区|中心|宣传部|政法委|办事处|工作站|研究所|研究院|大学|学院|中学|小学|医院|公司|集团|"
    r"协会|学会|基金会|联合会|融媒|新闻办|网信办|编辑部|事务所|管委会|党委|党组|纪委|监委|总队|"
    r"指挥部|领导小组|专班|机关|单位|部门"
)
# Accounts of the publishing system, and words that say "no one in particular".
_ACCOUNT = re.compile(
    r"^(?:系统)?(?:超级)?管理员\d*$|^admin|^administrator$|^webmaster$|^root$|^guest$|^editor\d*$|"
    r"(?:发布|编辑|录入|信息|管理|审核|操作|联络|上传|维护)员\d*$|网管\d*$|^用户\d+$|^[a-z]*\d{3,}$",
    re.IGNORECASE,
)
NOBODY = frozenset(
    (
        "佚名",
        "匿名",
        "未知",
        "不详",
        "无",
        "暂无",
        "本站",
        "本网",
        "本站原创",
        "原创",
        "转载",
        "网络",
        "互联网",
        "网友",
        "小编",
        "编辑",
        "作者",
        "记者",
        "通讯员",
        "null",
        "none",
        "unknown",
        "n/a",
    )
)
# Role words that lead a name in a byline: 本报记者 张三, 新华社记者 李四, 通讯员 王五.
ROLE_PREFIX = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,10}?(?:首席|特约|见习|实习|融媒体?)?(?:记者|通讯员|实习生|撰稿人|评论员)|"
    r"本报|本刊|本台|本网)\s*"
)
# A staff code printed after the editor's name: 支全明 SF099, 杜智 PX209.
STAFF_CODE = re.compile(r"^[A-Z]{1,4}\d{2,6}$")
_HAN_NAME = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff·•]{1,9}$")
_HANDLE = re.compile(r"^[A-Za-z][\w.&\-]{0,30}$|^[\u4e00-\u9fff\w][\w&.\-\u4e00-\u9fff]{0,15}$")
# Affiliations glued to a name: 方敏北京大学经济学院教授, 李四中国政法大学副教授.
_TITLES = re.compile(
    r"(?:教授|研究员|讲师|博士|博士生|硕士|研究生|主任|院长|所长|书记|局长|处长|科长|律师|法官|"
    r"检察官|民警|干部|委员|专家|学者|工程师|会长|秘书长|理事|董事长|总经理)$"
)
_PLACES = (
    "中国|中央|国家|全国|国务院|北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|"
    "江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|"
    "新疆|香港|澳门|清华|复旦|南京|武汉|中山|厦门|人民|首都|华东|华南|华中|西南|西北|东北|社科院"
)
_AFFILIATION_START = re.compile(rf"^(?:{_PLACES})")


# Words no name holds: a column, a kind of item, a label ("图片新闻", "工作动态", "通知公告").
_NOT_A_NAME_WORD = re.compile(
    r"新闻|通知|公告|动态|要闻|信息|视频|图片|专题|工作|会议|简报|通报|快讯|综述|评论|声明|说明|"
    r"附件|来源|时间|日期|发布|浏览|点击|阅读|首页|正文|栏目|频道|专栏|关注|分享|打印|返回"
)


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def is_staff_code(token: str) -> bool:
    return bool(STAFF_CODE.match(token))


def without_role(token: str) -> str:
    """``本报记者张三`` → ``张三``; a bare role word → ``""``."""
    return ROLE_PREFIX.sub("", token).strip()


def is_organisation(value: str) -> bool:
    """丰台区, 北京市发展和改革委员会, 某县公安局: an office or a place, not a person."""
    value = value.replace(" ", "")
    if _ORG_WORDS.search(value):
        return True
    if len(value) >= 3 and value[-1] in _ADMIN_END:
        return True
    if len(value) >= 4 and value[-1] in _ORG_END:
        return True
    return len(value) == 3 and value[-1] in _ORG_END and value[0] not in SURNAMES


def is_account(value: str) -> bool:
    """系统管理员, 信息发布员6, 区司法局编辑员, admin: the publishing system's user."""
    value = value.replace(" ", "")
    return bool(_ACCOUNT.search(value)) or value.lower() in NOBODY


def looks_like_name(token: str) -> bool:
    """A name token as meta lines print them: 2–10 Han characters, or a handle (Alice, zboygirl)."""
    if not token or token.isdigit():
        return False
    return bool(_HAN_NAME.match(token) or _HANDLE.match(token))


def is_person(value: str | None) -> bool:
    """Could ``value`` (one name or several) name the people who wrote the article?"""
    if not value:
        return False
    value = normalise(value)
    if re.fullmatch(r"[\d\s.,:：/-]+", value) or is_account(value):
        return False
    names = [n for n in re.split(r"[\s、,，;；]+", value) if n]
    return bool(names) and all(
        not is_organisation(n) and not is_account(n) and not _NOT_A_NAME_WORD.search(n)
        for n in names
    )


def looks_like_a_person_name(value: str) -> bool:
    """Two or three Han characters led by a common surname: 王晓明, 刘洋."""
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", value)) and value[0] in SURNAMES


def cut_affiliation(token: str) -> str | None:
    """``方敏北京大学经济学院教授`` → ``方敏``; None when no name can be told apart."""
    if len(token) <= 4:
        return token
    for size in (2, 3):
        rest = token[size:]
        if _AFFILIATION_START.match(rest) or (_ORG_WORDS.search(rest[:8]) and _TITLES.search(rest)):
            return token[:size]
    return None
