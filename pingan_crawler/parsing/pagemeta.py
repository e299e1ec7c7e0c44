"""Source, people and view count of a page without a profile: where to look, what to trust.

:mod:`meta` reads one labelled line; this module decides which lines of a page are the
article's. The rules, built on how templates lay pages out:

* Only the article's region counts: blocks hidden with ``display:none`` (a copy of the meta
  line kept for search engines), navigation, sidebars, footers, comment and related-article
  lists, and link lists are not the article's, and neither is a block above the headline
  outside the headline's own container. A footer's ``主办：…`` or a sidebar item's
  ``来源：某局`` never becomes the source of a page that prints none.
* A credit line may sit inside the body (``编辑|张三<br>审核|李四``) or in a share bar
  (``[责任编辑：刘斌]``): short lines of a long block are read one by one.
* 来源 is the first labelled value in page order. An empty label gives no source, and then
  nothing is taken from elsewhere. With no label at all, a portal's unlabelled
  "time + source" slot is read (``2024年05月16日 17:02 <a class="source">新京报</a>``);
  a ``<meta name="ContentSource">`` counts only when the page shows that value there too
  (government templates fill it with the site owner even when the page shows no source).
* The author is a 作者-type credit naming a person, or an unmistakable slot: a forum's
  "posted by", or a line holding only a name under an essay's headline. ``<meta
  name="Author">`` is never used: government templates fill it with the publishing account
  or the department.
* A page counter (浏览：1154次) is read only from the article's region, and not from a
  block that prints several (a list of other articles with their counts).
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from pingan_crawler.parsing import credits as credit_roles
from pingan_crawler.parsing.dates import find_date_text
from pingan_crawler.parsing.html import BLOCK_TAGS, clean_line, lines_of
from pingan_crawler.parsing.meta import (
    CLUTTER,
    LABEL_WORD_RE,
    LABELS,
    MetaFields,
    has_label,
    parse_meta_line,
)
from pingan_crawler.parsing.people import is_person, looks_like_a_person_name

_META_TAGS = frozenset(
    [
        "div",
        "td",
        "span",
        "font",
        "center",
        "dd",
        "p",
        "li",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "small",
        "i",
        "b",
        "strong",
        "table",
        "tr",
        "section",
        "article",
        "cite",
        "label",
    ]
)
MAX_BLOCK = 200  # characters of a meta line (or a few of them)
# Regions that are never the article's (a share bar or toolbar still may hold its credits).
_NOT_ARTICLE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|copyright|banquan|sidebar|side|aside|comment|comments|"
    r"pinglun|related|xgxw|xgwz|xgyd|recommend|tuijian|hot|rank|paihang|breadcrumb|crumb|weizhi|"
    r"location|position|friendlink|links|yqlj|banner|ad|ads|login|search)([\s_\d-]|$)",
    re.IGNORECASE,
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ROLE_WORDS = "|".join(sorted(map(re.escape, credit_roles.ROLES), key=len, reverse=True))
_CREDIT_LINE = re.compile(rf"^[\s【\[(（]*(?:{_ROLE_WORDS})\s*[:：|｜丨/ ]")
_BRACKETED_CREDIT = re.compile(
    r"[（(【\[]\s*(?:责任编辑|责编|编辑|审核|校对|作者|记者|通讯员)\s*[:：][^）)】\]]{1,40}[）)】\]]"
)
_REPORTER = re.compile(r"[（(]\s*[\u4e00-\u9fff]{0,6}?(?:记者|通讯员)[^（()）]{2,40}[）)]")
_POSTED_BY = (
    re.compile(r"本[贴帖]由\s*([^\s于]{2,20}?)\s*于\s*\d"),
    re.compile(r"由\s*([^\s]{2,20}?)\s*张贴"),
    re.compile(r"(?:^|\s)([^\s:：]{2,20})\s+(?:发表于|发表在)\s*\d{2,4}"),
)
_POSTED_WORDS = ("本贴由", "本帖由", "发表于", "发表在", "张贴")
_POSTED_HINT = re.compile("|".join(_POSTED_WORDS))
# One search per text piece: a label word, or a word that may name a forum poster.
_LOOK = re.compile(f"{'|'.join(_POSTED_WORDS)}|{LABEL_WORD_RE.pattern}")
_SOURCE_HINT = re.compile(r"source|media|from|laiyuan|\bly\b|where|account|name", re.I)
_OUTLET = re.compile(
    r"(?:报|网|社|台|刊|志|频道|在线|客户端|发布|周刊|传媒|融媒|时报|日报|晚报|局|委|办|院|政府|厅|部)$"
)
_SAYS_SOURCE = re.compile(r"source|laiyuan|\bly\b|media|from", re.I)
_COLUMN_END = re.compile(
    r"(?:新闻|动态|要闻|公开|通知|公告|专题|信息|工作|视频|图片|快讯|资讯|专栏|头条)$"
)
_BADGE = re.compile(r"^(?:原创|独家|转载|置顶|热|荐|[·•|｜/丨-]+|发布于\S*|来自\S*|IP属地\S*)$")
_WEEKDAY = re.compile(r"星期[一二三四五六日天]|周[一二三四五六日]")
_TIME_TEXT = re.compile(
    r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?"
)
_VIEWS_LABEL = re.compile("|".join(LABELS["views"]))


def read_page_meta(root, headline=None) -> MetaFields:
    """Source, credits (editor, author, byline) and view count of a page, from the
    article's own blocks; ``published`` is the first labelled time among them."""
    blocks = article_blocks(root, headline)
    headline = headline if headline is not None else _first_heading(root)
    meta = MetaFields()
    for _, text in blocks:
        fields = parse_meta_line(text)
        if fields.views is not None and len(_VIEWS_LABEL.findall(text)) > 1:
            fields = replace(fields, views=None)  # "标题A 点击数：12 标题B 点击数：30": a list
        meta = meta.merged(fields)
    primary = _primary_block(blocks, headline)
    if meta.source is None and primary is not None:
        meta = replace(meta, source=_slot_source(primary))
    people = meta.credits
    editor = credit_roles.editor_of(people)
    author = credit_roles.author_of(people, editor)
    if author is None:
        author = _posted_by(root, headline, editor) or _name_under_headline(headline, editor)
    byline = credit_roles.byline_of(people) or _reporter_byline(root)
    return replace(meta, editor=editor, author=author, byline=byline)


def confirmed_tag(tagged: str | None, root, headline=None) -> str | None:
    """A ``<meta>`` value (ContentSource) that the page also prints beside the date."""
    if not tagged:
        return None
    primary = _primary_block(
        article_blocks(root, headline), headline if headline is not None else _first_heading(root)
    )
    return tagged if primary is not None and tagged in spaced_text(primary) else None


# --- which blocks are the article's ------------------------------------------------------


def _first_heading(root):
    """No headline found by its agreement with ``<title>``: the first ``<h1>`` anchors the
    article region instead (blocks above it are the page header)."""
    body = root.find("body")
    return next(iter(body.iter("h1")), None) if body is not None else None


_cache: list = [None, None, None]  # (root, headline, blocks): one page asks more than once


def article_blocks(root, headline=None) -> list[tuple[object, str]]:
    """(node, text) of the short label-bearing blocks of the article's region, in order."""
    return _scan(root, headline)[0]


_pieces_cache: list = [None, None]  # (root, pieces)


def label_owners(root) -> list[tuple[object, bool, bool]]:
    """(element, holds a label word, holds a poster word) for every element of the body whose
    text pieces hold such a word, in page order: the one pass over a page that the meta
    readers share."""
    if _pieces_cache[0] is root:
        return _pieces_cache[1]
    body = root.find("body")
    owners: dict = {}
    for el in (body if body is not None else root).iter(tag=etree.Element):
        if el.tag in ("script", "style"):
            continue
        for piece, is_tail in ((el.text, False), (el.tail, True)):
            if not piece:
                continue
            hint = _LOOK.search(piece)
            if hint is None:
                continue
            owner = el.getparent() if is_tail else el
            if owner is None:
                continue
            flags = owners.setdefault(owner, [False, False])
            word = hint.group(0)
            if not flags[0] and (word not in _POSTED_WORDS or LABEL_WORD_RE.search(piece)):
                flags[0] = True
            if not flags[1] and _POSTED_HINT.search(piece):
                flags[1] = True
    found = [(owner, label, poster) for owner, (label, poster) in owners.items()]
    _pieces_cache[:] = [root, found]
    return found


def _scan(root, headline) -> tuple[list[tuple[object, str]], list[str]]:
    """The article's label blocks, and the lines that may name a forum poster."""
    if _cache[0] is root and _cache[1] is headline:
        return _cache[2]
    found = _find_blocks(root, headline)
    _cache[:] = [root, headline, found]
    return found


def _find_blocks(root, headline) -> tuple[list[tuple[object, str]], list[str]]:
    header = _header_container(headline)
    found: list[tuple[object, str]] = []
    posted: list[str] = []
    excluded: dict = {}
    for owner, label, poster in label_owners(root):
        if _excluded(owner, excluded):
            continue
        above = headline is not None and _precedes(owner, headline)
        if above and (header is None or not _inside(owner, header)):
            continue
        block = _outermost_block(owner)
        if poster and len(posted) < 5:
            posted.append(spaced_text(block if block is not None else owner))
        if not label:
            continue
        if block is None:
            found += [(owner, line) for line in _label_lines(owner)]
        elif not any(block is b for b, _ in found) and not _excluded(block, excluded):
            found.append((block, spaced_text(block)))
    return found, posted


def _precedes(node, other) -> bool:
    """Does ``node`` come before ``other`` in the document (and not contain it)?"""
    chain = []
    current = other
    while current is not None:
        chain.append(current)
        current = current.getparent()
    ancestors = {id(el): i for i, el in enumerate(chain)}
    child = node
    current = node.getparent()
    while current is not None and id(current) not in ancestors:
        child, current = current, current.getparent()
    if current is None or id(node) in ancestors:
        return False
    mine = current.index(child)
    position = ancestors[id(current)]
    if position == 0:
        return False  # other contains node
    return mine < current.index(chain[position - 1])


def _header_container(headline):
    """The headline's container (the article header), where a meta line may come first."""
    if headline is None:
        return None
    parent = headline.getparent()
    if parent is not None and len(clean_line(parent.text_content())) <= 400:
        return parent
    return None


def _inside(node, container) -> bool:
    while node is not None:
        if node is container:
            return True
        node = node.getparent()
    return False


def _excluded(node, cache: dict) -> bool:
    """Hidden, or in a region that is not the article (nav, sidebar, footer, lists)."""
    chain = []
    current = node
    verdict = False
    while current is not None and current.tag not in ("body", "html"):
        if current in cache:
            verdict = cache[current]
            break
        chain.append(current)
        names = f"{current.get('class', '')} {current.get('id', '')}"
        if (
            current.tag in ("nav", "footer", "aside")
            or _HIDDEN.search(current.get("style") or "")
            or current.get("hidden") is not None
            or (names.strip() and _NOT_ARTICLE.search(names))
        ):
            verdict = True
            break
        current = current.getparent()
    for el in chain:
        cache[el] = verdict
    return verdict or _in_link_list(node, cache)


def _in_link_list(node, cache: dict) -> bool:
    """Inside a list of links (other articles with their dates and counts)?"""
    if _list_item_of_links(node):
        return True
    current = node.getparent()
    while current is not None and current.tag not in ("body", "html"):
        key = ("links", current)
        if key in cache:
            return cache[key]
        text = current.text_content()
        if len(text) >= 300:
            links = sum(len(a.text_content()) for a in current.iter("a"))
            cache[key] = links / len(text) > 0.5
            return cache[key]
        current = current.getparent()
    return False


def _list_item_of_links(node) -> bool:
    """An item of a list of other articles: an ``<li>``/``<dd>`` among several (not a table
    row: old table layouts put the whole page in rows),
    holding a headline link (``<li><a>某局开展培训</a> 来源：县司法局 2024-05-01</li>``)."""
    for _ in range(3):
        if node is None or node.tag in ("body", "html"):
            return False
        if node.tag in ("li", "dd", "dt"):
            parent = node.getparent()
            siblings = len(parent.findall(node.tag)) if parent is not None else 0
            headline = any(len(clean_line(a.text_content())) >= 6 for a in node.iter("a"))
            return siblings >= 3 and headline
        node = node.getparent()
    return False


def _outermost_block(node):
    best = None
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in _META_TAGS:
            raw = node.text_content()
            if len(raw) > 2 * MAX_BLOCK:
                break
            if len(clean_line(raw)) <= MAX_BLOCK and _has_label(raw):
                best = node
        node = node.getparent()
    return best


def _has_label(text: str) -> bool:
    return has_label(text) or bool(_CREDIT_LINE.search(text))


def _label_lines(owner) -> list[str]:
    """Short lines of a long block (``编辑|禤志杰<br>责编|陈梦莹``) that are credits, and
    bracketed credits at the end of a long paragraph (``……。（责任编辑：褚晓）``)."""
    found = []
    for line in lines_of(owner)[:200]:
        short = len(line) <= 40 and _has_label(line)
        if len(line) <= 80 and (_CREDIT_LINE.match(line) or short):
            found.append(line)
        else:
            found.extend(m.group(0) for m in _BRACKETED_CREDIT.finditer(line))
    return found


def spaced_text(node) -> str:
    """The node's text with a space where elements meet: ``<span>新京报</span><span>作者：…``
    reads ``新京报 作者：…``, not ``新京报作者：…``; a line break where a ``<br>`` or a block
    begins (a value never runs on into the next line). Digits and dates are not split."""
    parts: list[str] = []
    for piece in _pieces(node):
        joined = piece and re.match(r"[\d年月日:：\-/.次]", piece[0])
        if parts and piece and not joined and not re.search(r"[\d年月日:：\-/.\n]$", parts[-1]):
            parts.append(" ")
        parts.append(piece)
    return re.sub(r" ?\n[\n ]*", "\n", clean_line("".join(parts))).strip()


def _pieces(node):
    if not isinstance(node.tag, str) or node.tag in ("script", "style"):
        return
    if node.tag == "br" or node.tag in BLOCK_TAGS:
        yield "\n"
    if node.text:
        yield node.text.replace("\n", " ")
    for child in node:
        yield from _pieces(child)
        if child.tail:
            yield child.tail.replace("\n", " ")


# --- unlabelled source slot --------------------------------------------------------------


def _primary_block(blocks, headline):
    """The meta line under the headline: the first short element after the headline that
    prints a date, else the first short labelled block that does, widened to its short
    container (the date and the source are often sibling spans)."""
    under = _date_line_after(headline)
    if under is not None:
        return under
    for node, text in blocks:
        if len(text) <= 150 and find_date_text(text):
            return _widened(node, headline)
    return None


def _date_line_after(headline):
    """No labelled block: the element printing a date within the first few hundred
    characters of text after the headline."""
    if headline is None:
        return None
    seen = 0
    for el in _following(headline):
        for node in el.iter():
            if not isinstance(node.tag, str) or node.tag in ("script", "style"):
                continue
            for piece, owner in ((node.text, node), (node.tail if node is not el else None, None)):
                if not piece or not piece.strip():
                    continue
                owner = owner if owner is not None else node.getparent()
                if find_date_text(piece) and len(owner.text_content()) <= 150:
                    return _widened(owner, headline)
                seen += len(piece.strip())
                if seen > 600:
                    return None
    return None


def _following(node):
    current = node
    while current is not None and current.tag not in ("body", "html"):
        sibling = current.getnext()
        while sibling is not None:
            if isinstance(sibling.tag, str) and sibling.tag not in ("script", "style"):
                yield sibling
            sibling = sibling.getnext()
        current = current.getparent()


def _widened(node, headline):
    best = node
    current = node.getparent()
    while current is not None and current.tag not in ("body", "html"):
        if headline is not None and _inside(headline, current):
            break
        if len(clean_line(current.text_content())) > 80:
            break
        best = current
        current = current.getparent()
    return best


def _items(node) -> list[tuple[str, object]]:
    """(text, element) of every text piece under ``node``, in order."""
    items: list[tuple[str, object]] = []

    def walk(el):
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            return
        if el.text and el.text.strip():
            items.append((clean_line(el.text), el))
        for child in el:
            walk(child)
            if child.tail and child.tail.strip():
                items.append((clean_line(child.tail), el))

    walk(node)
    return items


def _slot_source(primary) -> str | None:
    """``2024年05月16日 17:02 新京报``: the name printed beside the date, with no label.

    Taken when the element says so (class ``source``/``media``/``name``) or the name reads
    as an outlet or an office (…报, …网, …社, …局); labels, clutter, badges (原创, 发布于北京),
    weekdays and IP locations are stepped over."""
    items = _items(primary)
    dated = next((i for i, (text, _) in enumerate(items) if find_date_text(text)), None)
    if dated is None:
        return None
    candidates = []
    rest = _TIME_TEXT.sub(" ", items[dated][0]).split()
    candidates += [(token, items[dated][1], 0) for token in rest[-1:]]
    for step in (1, -1):
        index = dated + step
        while 0 <= index < len(items):
            text, el = items[index]
            text = _TIME_TEXT.sub(" ", text).strip()
            if text and _BADGE.match(text):
                index += step
                continue
            if text:
                candidates.append((text, el, abs(index - dated)))
            break
    best = None
    for text, el, distance in candidates:
        name = _slot_name(text)
        if not name:
            continue
        names = " ".join(
            f"{e.get('class', '')} {e.get('id', '')}" for e in (el, el.getparent()) if e is not None
        )
        hinted = bool(_SOURCE_HINT.search(names))
        if looks_like_a_person_name(name) and not _OUTLET.search(name):
            continue  # a person beside the date is a byline, not a source
        if _COLUMN_END.search(name) and not _OUTLET.search(name) and not _SAYS_SOURCE.search(names):
            continue  # 综合新闻, 政务公开, 工作动态: the column, unless the markup says source
        if hinted or _OUTLET.search(name):
            rank = (0 if hinted else 1, distance)
            if best is None or rank < best[0]:
                best = (rank, name)
    return best[1] if best else None


def _slot_name(text: str) -> str | None:
    name = re.sub(r"(?:官方账号|官方帐号|官方号|发布)$", "", text.strip(" ·•|｜/丨-—"))
    name = re.sub(r"^(?:原创|来自)\s*", "", name)
    if not 2 <= len(name) <= 20 or re.search(r"[:：/.@]|\d{4}|\s", name):
        return None
    if CLUTTER.search(name) or _WEEKDAY.search(name) or _BADGE.match(name):
        return None
    if LABEL_WORD_RE.fullmatch(name) or re.search(r"[，。！？、]", name):
        return None
    return name


# --- author slots and bylines ------------------------------------------------------------


def _posted_by(root, headline, editor: str | None) -> str | None:
    """A forum's or blog's poster: 本贴由大卫于…发表, ``ggjjzhzz 发表于 2005-9-15``."""
    for text in _scan(root, headline)[1]:
        for pattern in _POSTED_BY:
            match = pattern.search(text)
            if match:
                name = match.group(1).strip("：:，,()（）[]【】")
                if is_person(name) and name != editor and not LABEL_WORD_RE.search(name):
                    return name
    return None


def _name_under_headline(headline, editor: str | None) -> str | None:
    """An essay's author line: the headline, then a line holding only the name(s), then the
    text. A repeated headline line in between is stepped over."""
    if headline is None:
        return None
    title = re.sub(r"\s+", "", headline.text_content())
    lines = _first_lines(_following(headline), 4)
    lines = [line for line in lines if re.sub(r"\s+", "", line) != title][:2]
    if len(lines) < 2 or len(lines[1]) < 30 or not re.search("[，。]", lines[1]):
        return None
    names = lines[0].strip()
    parts = [p for p in re.split(r"[\s、,，]+", names) if p]
    if not parts or len(parts) > 4 or len(names) > 20:
        return None
    if not all(re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", p) for p in parts):
        return None
    if not is_person(names) or names == editor or LABEL_WORD_RE.search(names):
        return None
    return names


def _first_lines(elements, wanted: int) -> list[str]:
    """The first ``wanted`` non-empty lines of text of ``elements`` (one per ``<br>`` or
    block), read only as far as needed."""
    lines: list[str] = []
    current: list[str] = []
    for el in elements:
        for piece in (*_pieces(el), "\n"):
            if piece != "\n":
                current.append(piece)
                continue
            line = clean_line("".join(current))
            current = []
            if line:
                lines.append(line)
                if len(lines) >= wanted:
                    return lines
    return lines


def _reporter_byline(root) -> str | None:
    """``（记者 王曦 通讯员 李明）`` in the text: the reporters' byline news copy carries."""
    body = root.find("body")
    if body is None:
        return None
    for match in _REPORTER.finditer(body.text_content()):
        line = parse_meta_line(match.group(0))
        byline = credit_roles.byline_of(line.credits)
        if byline:
            return byline
    return None
