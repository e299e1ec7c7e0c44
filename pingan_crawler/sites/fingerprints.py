"""CMS fingerprints: how to tell which system built a site from the pages themselves.

This is the drafter's whole family knowledge (research/sites.md §2), kept as data: marks in
the HTML, shapes of URLs and response headers, each with a weight. It never reads the family
base files (``sites/families/*.toml``); it only knows their names, to write ``extends``. The
selectors listed here are *candidates* the drafter tries on the sampled pages like any other,
never assumed to fit: a site's template is often its own even when its CMS is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Signal:
    where: str  # "html": page text; "url": a fetched or linked URL; "header": a response header
    pattern: re.Pattern[str]
    label: str
    weight: float = 1.0


def _s(where: str, pattern: str, label: str, weight: float = 1.0) -> Signal:
    return Signal(where, re.compile(pattern, re.IGNORECASE), label, weight)


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    base: str = ""  # the bundled family base a draft may extend ("" for none)
    signals: tuple[Signal, ...] = ()
    # Candidate selectors to try on sampled articles: (field, CSS).
    selectors: tuple[tuple[str, str], ...] = ()
    body_between: tuple[str, str] | tuple[()] = ()


FAMILIES: tuple[Family, ...] = (
    Family(
        "trs",
        "TRS WCM",
        base="trs",
        signals=(
            _s("html", r"<meta[^>]+name=['\"]?PubDate", "<meta name=PubDate>", 1.5),
            _s("html", r"<meta[^>]+name=['\"]?ArticleTitle", "<meta name=ArticleTitle>"),
            _s("html", r"<meta[^>]+name=['\"]?ContentSource", "<meta name=ContentSource>"),
            _s(
                "html",
                r"class=['\"][^'\"]*\b(TRS_Editor|trs_editor_view|TRS_UEDITOR)",
                "TRS_Editor",
                2,
            ),
            _s("html", r"createPageHTML\s*\(", "createPageHTML pager", 2),
            _s("url", r"/t\d{8}_\d+\.s?html?$", "t20220405_<id> article URLs", 1.5),
            _s("url", r"/[WP]0\d{14,}", "W0…/P0… attachments"),
        ),
        selectors=(
            ("title", 'meta[name="ArticleTitle"]'),
            ("published", 'meta[name="PubDate"]'),
            ("source", 'meta[name="ContentSource"]'),
            ("author", 'meta[name="Author"]'),
            ("breadcrumb", 'meta[name="ColumnName"]'),
            ("body", ".TRS_Editor, .trs_editor_view, .TRS_UEDITOR"),
        ),
    ),
    Family(
        "hanweb",
        "大汉 Hanweb JCMS",
        base="hanweb",
        signals=(
            _s("html", r"大汉版通|Produced By 大汉网络", "大汉版通 generator", 2),
            _s("html", r"<meta[^>]+name=['\"]?i_(columnid|articleid)", "<meta name=i_columnid>"),
            _s("html", r"<datastore>", "<datastore> list records", 1.5),
            _s("html", r"jpage/dataproxy\.jsp", "dataproxy.jsp paging", 1.5),
            _s("html", r"ZJEG_RSS\.content", "ZJEG_RSS.content markers", 1.5),
            _s("url", r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$", "art_<col>_<id> URLs", 1.5),
            _s("url", r"/col/col\d+/index\.html$", "/col/col<id>/ lists"),
        ),
        selectors=(("title", "td.title"), ("breadcrumb", ".position")),
        body_between=("<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->"),
    ),
    Family(
        "dedecms",
        "DedeCMS 织梦",
        base="dedecms",
        signals=(
            _s(
                "html",
                r"Powered by\s*<a[^>]*>\s*<strong>\s*DedeCms|dedecms\.com",
                "Powered by DedeCms",
                2,
            ),
            _s("html", r"/plus/count\.php\?", "plus/count.php counter", 1.5),
            _s("html", r"/templets/|dedeajax|/include/dedeajax", "/templets/ paths"),
            _s("html", r"class=['\"]thisclass['\"]|class=['\"]pagelist['\"]", "DedeCMS pager"),
            _s("url", r"/list_\d+_\d+\.html$", "list_<tid>_<n> lists", 1.5),
            _s("url", r"/plus/view\.php\?aid=\d+", "plus/view.php?aid="),
            _s("url", r"/uploads/allimg/", "/uploads/allimg/ images"),
        ),
        selectors=(("title", ".viewbox .title h2"), ("body", ".viewbox .content")),
    ),
    Family(
        "phpcms",
        "PHPCMS v9",
        base="phpcms",
        signals=(
            _s("html", r"api\.php\?op=count", "api.php?op=count counter", 1.5),
            _s("html", r"/statics/(css|js|images)/", "/statics/ paths"),
            _s("html", r"phpcms", "phpcms mention"),
            _s("url", r"/list-\d+-\d+\.html$", "list-<catid>-<n> lists", 1.5),
            _s("url", r"/show-\d+-\d+-\d+\.html$", "show-<catid>-<id>-<n> articles", 1.5),
            _s("url", r"index\.php\?m=content&c=index&a=(lists|show)", "index.php?m=content URLs"),
        ),
        selectors=(("title", "#Article h1"), ("body", "#Article .content")),
    ),
    Family(
        "empirecms",
        "帝国 EmpireCMS",
        signals=(
            _s("html", r"/e/public/ViewClick", "e/public/ViewClick counter", 2),
            _s("html", r"EmpireCMS|帝国网站管理系统|phome\.net", "EmpireCMS mention", 1.5),
            _s("html", r"/e/(extend|action|search)/", "/e/ paths"),
            _s("html", r"/skin/default/", "/skin/default/ paths", 0.5),
        ),
    ),
    Family(
        "vsb",
        "博达 VSB (Visual SiteBuilder)",
        signals=(
            _s("html", r"Visual\s*SiteBuilder|VSB", "Visual SiteBuilder", 2),
            _s("html", r"/system/resource/", "/system/resource/ scripts", 1.5),
            _s("html", r"_sitegray|dynclicks\.js", "VSB scripts"),
            _s("url", r"/info/\d+/\d+\.htm$", "/info/<col>/<id>.htm articles", 1.5),
        ),
    ),
    Family(
        "powereasy",
        "动易 PowerEasy",
        signals=(
            _s("html", r"PowerEasy|动易", "PowerEasy mention", 2),
            _s("html", r"GetHits\.aspx|GetHits\.asp", "GetHits counter", 1.5),
            _s("url", r"ShowArticle\.asp\?ArticleID=\d+", "ShowArticle.asp?ArticleID=", 1.5),
            _s("url", r"/Item/\d+\.aspx$|/Category_\d+/Index\.aspx", "/Item/<id>.aspx URLs", 1.5),
        ),
    ),
    Family(
        "custom-asp",
        "custom ASP",
        base="custom-asp",
        signals=(
            _s("url", r"\.asp(\?|$)", ".asp URLs", 1.0),
            _s("header", r"x-powered-by: ?ASP\.NET", "X-Powered-By: ASP.NET", 0.5),
            _s("header", r"server: ?Microsoft-IIS", "Server: Microsoft-IIS", 0.5),
        ),
    ),
)
BY_NAME = {family.name: family for family in FAMILIES}
# A family whose score is only these generic signs (ASP, IIS) must not beat a real CMS.
WEAK = {"custom-asp"}

# View counters: (regex on a <script src>/<iframe src>, the reply's mode, what it is).
# Every one of them adds a view per call; the draft never fetches them.
COUNTERS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"plus/count\.php\?", re.I), "js_docwrite", "DedeCMS plus/count.php"),
    (re.compile(r"api\.php\?op=count", re.I), "jq_html", "PHPCMS api.php?op=count"),
    (re.compile(r"e/public/ViewClick", re.I), "js_docwrite", "EmpireCMS ViewClick"),
    (re.compile(r"visitcount/visit\.jsp", re.I), "js_docwrite", "Hanweb visit.jsp"),
    (re.compile(r"GetHits\.aspx?", re.I), "js_docwrite", "PowerEasy/Kesion GetHits"),
)
# Any other script/iframe that looks like a counter: a count/hits/click/visit word in its path
# and the article's number in its query.
COUNTER_LIKE = re.compile(r"(count|hits?|click|visit|views?|browse|read)\w*\.\w+\?[^'\"]*\d", re.I)


@dataclass(frozen=True)
class FamilyGuess:
    family: Family | None
    score: float
    evidence: tuple[str, ...] = ()
    runner_up: tuple[str, float] | None = None
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def confidence(self) -> str:
        if self.family is None:
            return "none"
        margin = self.score - (self.runner_up[1] if self.runner_up else 0.0)
        if self.score >= 4 and margin >= 2:
            return "sure"
        if self.score >= 2 and margin >= 1:
            return "likely"
        return "weak"


def recognise(
    pages: list[tuple[str, dict[str, str], str]], links: list[str], min_score: float = 1.5
) -> FamilyGuess:
    """The family whose signals the pages show most. ``pages`` are (url, headers, text) of
    everything fetched, ``links`` every link seen on them; each signal counts once."""
    header_lines = [
        f"{name}: {value}" for _, headers, _ in pages for name, value in headers.items()
    ]
    urls = [url for url, _, _ in pages] + links
    scores: dict[str, float] = {}
    evidence: dict[str, list[str]] = {}
    for family in FAMILIES:
        found = []
        for signal in family.signals:
            if signal.where == "html":
                hits = sum(1 for _, _, text in pages if signal.pattern.search(text))
                total = len(pages)
            elif signal.where == "url":
                hits = sum(1 for url in urls if signal.pattern.search(url.split("#")[0]))
                total = len(urls)
            else:
                hits = sum(1 for line in header_lines if signal.pattern.search(line))
                total = len(pages)
            if hits:
                found.append((signal, f"{signal.label} ({hits}/{total})"))
        scores[family.name] = sum(s.weight for s, _ in found)
        evidence[family.name] = [text for _, text in found]
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0] in WEAK))
    strong = [(n, s) for n, s in ranked if n not in WEAK and s >= min_score]
    if strong:
        name, score = strong[0]
    else:
        name, score = ranked[0]
        if score < min_score:
            return FamilyGuess(None, score, (), None, scores)
    others = [(n, s) for n, s in ranked if n != name and s > 0]
    return FamilyGuess(
        BY_NAME[name],
        score,
        tuple(evidence[name]),
        others[0] if others else None,
        scores,
    )


def counter_kind(src: str) -> tuple[str, str] | None:
    """(mode, what) of a view counter's script/iframe URL, or None if it is none we know."""
    for pattern, mode, label in COUNTERS:
        if pattern.search(src):
            return mode, label
    if COUNTER_LIKE.search(src):
        return "", "a counter script"
    return None
