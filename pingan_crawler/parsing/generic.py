"""Heuristics for pages (or fields) a site profile does not pin down.

Used field by field: a profile selector wins when it matches, and these fill the gaps. They
rely only on what Chinese news pages share:

* the headline is in the ``<title>`` (plus the site name: ``标题_平安浙江网``,
  ``标题 - 中国长安网``) and again in an ``<h1>``/``<h2>``/``.title`` element above the body;
* a meta line of labelled values (发布时间:/来源:/作者:/责任编辑:/浏览:) sits under the headline,
  or is split above and below the body; CMSes also put the publish time and source in
  ``<meta>`` tags (TRS ``PubDate``/``ContentSource``, Hanweb ``Maketime``, Open Graph);
* some templates print the date with no label right after the headline;
* the body is the block with the most sentence text (，。) and few links; nav bars, sidebars,
  share bars, 上一篇/下一篇 and footers are link-dense or named so in their class/id.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace

from pingan_crawler.parsing.dates import find_date_text, parse_publish_time
from pingan_crawler.parsing.html import clean_line, drop_keeping_tail
from pingan_crawler.parsing.meta import LABEL_RE, MetaFields, parse_meta_line
from pingan_crawler.parsing.pagemeta import confirmed_tag, label_owners, read_page_meta

_TITLE_SPLIT = re.compile(r"\s*(?:[-_|｜—–]+|\s{2,}|::|»|<)\s*")
_CONTAINERS = ("div", "td", "article", "section", "main", "span", "font", "center", "dd")
_META_BLOCKS = frozenset(
    (*_CONTAINERS, "p", "li", "h2", "h3", "h4", "em", "small", "i", "b", "strong", "table", "tr")
)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "ul", "ol", "table", "dl")
_TITLE_TAGS = ("h1", "h2", "h3", "h4", "strong", "b", "div", "td", "p", "span", "font")
_TITLE_CLASS = re.compile(r"title|tit\b|bt\b|headline|heading|biaoti|hd\b", re.IGNORECASE)
# <meta> names CMSes use for the publish time and the source.
_META_TIME = (
    "pubdate",
    "publishdate",
    "publish_date",
    "article:published_time",
    "og:release_date",
    "og:published_time",
    "maketime",
    "firstpublishedtime",
    "publishtime",
    "publish-time",
    "releasedate",
    "datepublished",
    "dc.date",
    "dcterms.issued",
)
_META_SOURCE = ("contentsource", "source", "og:article:source")
_META_TITLE = ("articletitle", "og:title", "twitter:title")
# Class/id words of regions that are never the article body.
_NOISE_REGION = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|header|footer|foot|copyright|sidebar|side|aside|share|bdshare|"
    r"jiathis|comment|comments|related|xgxw|xgwz|recommend|hot|rank|breadcrumb|crumb|weizhi|"
    r"location|position|pager|pages|pagination|sxp|prev|next|prenext|context|toolbar|print|"
    r"friendlink|links|ad|ads|banner|intro|summary|abstract|zhaiyao|digest)([\s_\d-]|$)",
    re.IGNORECASE,
)
PARENT_SHARE = 0.75  # a parent scoring this share of the best block's score holds the body
_PUNCTUATION = re.compile(r"[，。！？；、：“”,.!?;]")
_NOISE_LINE = re.compile(
    r"^[【\[(（]?\s*(上一篇|下一篇|上一条|下一条|分享到|打印本页|关闭窗口|收藏本页|返回顶部|"
    r"字号|【打印】|【关闭】|扫一扫|相关(新闻|文章|阅读|链接))"
)


# --- title ------------------------------------------------------------------------------


def guess_title(root, site_title: str = "") -> str | None:
    """The headline: a heading that matches the ``<title>``'s headline part, else the best guess.

    ``<title>`` holds the headline plus the site name (and sometimes section names); the
    heading in the page holds the headline whole (titles get truncated). A heading that does
    not match the ``<title>`` is the logo or a section name, not the headline.
    """
    node = title_node(root, site_title)
    if node is not None:
        return _node_title(node)
    meta = _meta_content(root, _META_TITLE)
    if meta and len(meta) >= 4:
        return _strip_site(meta, site_title)
    headline = _title_tag_headline(root, site_title)
    if headline:
        return headline
    for node in root.iter("h1"):
        text = clean_line(node.text_content())
        if 4 <= len(text) <= 120:
            return text
    return None


_last_title: list = [None, None, None]  # (root, site_title, node): one page is asked thrice


def title_node(root, site_title: str = ""):
    """The element printing the headline, found by its agreement with ``<title>``."""
    if _last_title[0] is root and _last_title[1] == site_title:
        return _last_title[2]
    node = _find_title_node(root, site_title)
    _last_title[:] = [root, site_title, node]
    return node


def _find_title_node(root, site_title: str):
    headline = _title_tag_headline(root, site_title)
    meta = _meta_content(root, _META_TITLE)
    wanted = [_key(t) for t in (headline, meta) if t and len(_key(t)) >= 4]
    if not wanted:
        return None
    best = None
    body = root.find("body")
    for node in (body if body is not None else root).iter(*_TITLE_TAGS):
        if len(node) > 6:
            continue  # a layout block, not a heading
        raw = node.text_content()
        if not 4 <= len(raw) <= 400:
            continue
        text = clean_line(raw.replace("\n", " "))
        if not 4 <= len(text) <= 150:
            continue
        key = _key(text)
        if not any(_matches(key, w) for w in wanted):
            continue
        rank = _title_rank(node)
        if best is None or rank > best[0]:
            best = (rank, node)
            if rank >= 3:
                break
    return best[1] if best else None


def _node_title(node) -> str:
    return clean_line(node.text_content().replace("\n", " "))


def _title_rank(node) -> int:
    if node.tag == "h1":
        return 3
    if node.tag in ("h2", "h3") or _TITLE_CLASS.search(
        f"{node.get('class', '')} {node.get('id', '')}"
    ):
        return 2
    return 1 if node.tag in ("h4", "strong", "b", "font") else 0


def _matches(key: str, wanted: str) -> bool:
    """Same headline: equal, or one is the other cut short (titles get truncated, or
    carry a prefix such as the section name)."""
    if key == wanted:
        return True
    shorter, longer = sorted((key, wanted), key=len)
    return len(shorter) >= 0.6 * len(longer) and shorter in longer


def _key(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def _title_tag_headline(root, site_title: str) -> str | None:
    title = root.find(".//title")
    if title is None:
        return None
    return _strip_site(clean_line(title.text_content()), site_title)


def _strip_site(text: str, site_title: str) -> str | None:
    """``标题_平安浙江网`` → ``标题``: the longest segment that is not the site name."""
    segments = [s for s in _TITLE_SPLIT.split(text) if s]
    if site_title:
        segments = [s for s in segments if site_title not in s] or segments
    return max(segments, key=len) if segments else None


def _meta_content(root, names: tuple[str, ...]) -> str | None:
    """The first ``<meta name|property=…>`` content among ``names`` (case-insensitive)."""
    head = root.find("head")
    found: dict[str, str] = {}
    for meta in (head if head is not None else root).iter("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        content = clean_line(meta.get("content") or "")
        if key in names and content and key not in found:
            found[key] = content
    for name in names:
        if name in found:
            return found[name]
    return None


# --- meta line --------------------------------------------------------------------------


def guess_meta(root) -> MetaFields:
    """Labelled values from the page's short label-bearing blocks, then ``<meta>`` tags and
    an unlabelled date under the headline for what the labels did not give.

    Templates split the meta over several places (date and count above the body, 来源 and
    责任编辑 below it), so every short block with a label contributes; the first occurrence
    of a label wins, so the article's own meta line (near the top) beats a sidebar's dates.
    Source, credits and views come from the article's own region (see ``pagemeta``).
    """
    printed = None
    for node in _meta_blocks(root):
        printed = parse_meta_line(clean_line(node.text_content().replace("\n", " "))).published
        if printed is not None:
            break  # the first labelled time wins; the other fields come from read_page_meta
    tagged_time = _meta_content(root, _META_TIME)
    published = _best_time(printed, tagged_time)
    if published is None:
        published = _date_after_title(root) or _first_timestamp(root)
    headline = title_node(root)
    page = read_page_meta(root, headline)
    source = page.source
    if source is None:
        source = confirmed_tag(_meta_content(root, _META_SOURCE), root, headline)
    return replace(page, published=published, source=source)


def _meta_blocks(root):
    """The outermost short blocks (≤ 200 characters) holding a ``label:``, in page order
    (lazily: the caller stops at the first that prints a time).

    Found from the text pieces that hold a label word, climbing to their block: one pass
    over the page instead of the text of every block."""
    seen: list = []
    for owner, has_label, _ in label_owners(root):
        if not has_label:
            continue
        block = _outermost_meta_block(owner)
        if block is not None and block not in seen and not _in_noise_region(block):
            seen.append(block)
            yield block


def _outermost_meta_block(node):
    best = None
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in _META_BLOCKS:
            raw = node.text_content()
            if len(raw) > 400:
                break
            if len(clean_line(raw)) <= 200 and LABEL_RE.search(raw):
                best = node
        node = node.getparent()
    return best


def _best_time(printed: str | None, tagged: str | None) -> str | None:
    """The printed time, unless a ``<meta>`` tag gives the same moment more precisely
    (TRS prints ``2022-01-12 10:31`` and tags ``PubDate`` ``2022-01-12 10:31:06``)."""
    if not tagged or not find_date_text(tagged):
        return printed
    if not printed:
        return tagged
    seen, meta = parse_publish_time(printed), parse_publish_time(tagged)
    if seen.value is None:
        return tagged if meta.value is not None else printed
    if meta.value is None:
        return printed
    order = ("day", "minute", "second")
    finer = order.index(meta.precision or "day") > order.index(seen.precision or "day")
    width = {"day": 10, "minute": 16, "second": 19}[seen.precision or "day"]
    same = seen.value.isoformat()[:width] == meta.value.isoformat()[:width]
    return tagged if finer and same else printed


def _date_after_title(root) -> str | None:
    """A date printed with no label in the few lines after the headline."""
    node = title_node(root)
    if node is None:
        return None
    seen = 0
    for text in _text_after(node):
        date = find_date_text(text)
        if date and re.search(r"\d{1,2}\s*[-/.月]\s*\d{1,2}", date):
            return date
        seen += len(text)
        if seen > 300:
            break
    return None


def _first_timestamp(root) -> str | None:
    """Last resort: the first date *with a time of day* outside nav/sidebar/footer regions.
    Sidebar and list dates rarely carry a time; a post's stamp (``2005-06-14 03:25:55``) does."""
    body = root.find("body")
    if body is None:
        return None
    noise: dict = {}
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        for text, owner in ((el.text, el), (el.tail, el.getparent())):
            if not text or not re.search(r"\d{1,2}\s*[:时]\s*\d{2}", text):
                continue
            if owner not in noise:
                noise[owner] = _in_noise_region(owner)
            date = find_date_text(text)
            if not noise[owner] and date and re.search(r"\d\s*[:时]\s*\d", date):
                return date
    return None


def _text_after(node):
    """Text pieces in document order after ``node`` (its tail, then following elements)."""
    current = node
    while current is not None:
        if current.tail and current.tail.strip():
            yield current.tail.strip()
        sibling = current.getnext()
        while sibling is not None:
            if isinstance(sibling.tag, str):
                text = sibling.text_content().strip()
                if text:
                    yield text[:400]
            if sibling.tail and sibling.tail.strip():
                yield sibling.tail.strip()
            sibling = sibling.getnext()
        current = current.getparent()
        if current is not None and current.tag == "body":
            return


def _in_noise_region(node, depth: int = 6) -> bool:
    for _ in range(depth):
        if node is None or node.tag in ("body", "html"):
            return False
        if node.tag in ("nav", "footer", "aside") or _NOISE_REGION.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            return True
        node = node.getparent()
    return False


# --- body -------------------------------------------------------------------------------


def _link_text_length(node) -> int:
    return sum(len(clean_line(a.text_content())) for a in node.iter("a"))


def guess_body_node(root):
    """The element whose paragraphs hold the most sentence text, cleaned of what is not body.

    Every text-bearing paragraph votes for its container and, at half weight, the
    container's parent; sentences (with ，。) weigh more than labels, link text counts
    against. The winner is copied and cleaned: headline, meta line, share bars, prev/next
    links and link-dense blocks inside it are dropped, so its lines are the body text.
    """
    scores: dict = {}
    noise_cache: dict = {}
    for para in root.iter("p", "br", "div", "td", "font", "span", "section", "li"):
        if para.tag == "p":
            own = clean_line(para.text_content())
        else:
            own = clean_line((para.text or "") + "".join(child.tail or "" for child in para))
        if len(own) < 10:
            continue
        parent = para if para.tag in _CONTAINERS and para.tag != "span" else para.getparent()
        if parent is None:
            continue
        if parent not in noise_cache:
            noise_cache[parent] = _in_noise_region(parent)
        if noise_cache[parent]:
            continue
        links = _link_text_length(para) if para.tag == "p" else 0
        sentences = len(_PUNCTUATION.findall(own))
        weight = (len(own) - 2 * links) * (1.0 if sentences else 0.3) + 5 * sentences
        if weight <= 0:
            continue
        grand = parent.getparent()
        for depth, node in enumerate((parent, grand)):
            if node is not None and node.tag not in ("body", "html"):
                scores[node] = scores.get(node, 0) + weight / (depth + 1)
    if not scores:
        return None
    best = max(scores, key=lambda n: scores[n])
    # A body split over a <div> and its sibling <p>s scores highest on the div alone; its
    # parent, holding both, scores nearly as high: take the parent then.
    parent = best.getparent()
    if parent is not None and scores.get(parent, 0) >= PARENT_SHARE * scores[best]:
        best = parent
    text = clean_line(best.text_content())
    if not text or _link_text_length(best) / len(text) >= 0.5:
        return None  # a body full of links is a nav or a list, not an article
    return _cleaned_copy(best, root)


def _cleaned_copy(node, root):
    """A copy of ``node`` without headline, meta lines, noise regions and link lists."""
    headline = title_node(root)
    headline_key = _key(_node_title(headline)) if headline is not None else None
    clone = copy.deepcopy(node)
    for el in list(clone.iter()):
        if not isinstance(el.tag, str) or el is clone or el.getparent() is None:
            continue
        if _should_drop(el, headline_key):
            drop_keeping_tail(el)
    return clone


def _should_drop(el, headline_key: str | None) -> bool:
    if el.tag in ("nav", "footer", "aside", "form", "button", "select", "input"):
        return True
    names = f"{el.get('class', '')} {el.get('id', '')}"
    if names.strip() and _NOISE_REGION.search(names):
        return True
    if el.tag not in _CONTAINERS and el.tag not in _BLOCKS:
        return False
    text = clean_line(el.text_content().replace("\n", " "))
    if not text:
        return False
    if headline_key and el.tag in _TITLE_TAGS and _key(text) == headline_key:
        return True
    if len(text) <= 160 and _NOISE_LINE.match(text):
        return True
    if len(text) <= 160 and _is_meta_line(text):
        return True
    links = _link_text_length(el)
    return (
        len(text) >= 8 and links / len(text) > 0.7 and el.tag in ("ul", "ol", "div", "table", "dl")
    )


def _is_meta_line(text: str) -> bool:
    """``发布时间：… 来源：… 浏览：…``: two labels, or one label with a date, and little else."""
    labels = LABEL_RE.findall(text)
    if len(labels) >= 2:
        return True
    return len(labels) == 1 and find_date_text(text) is not None and len(text) <= 60
