"""URL shapes for drafting a profile: an article regex generalised from many sampled links, and
list-URL templates (``{section}``, ``{page}``, per-section variables) aligned across sections.

Both work on the *kind* of URL, not one example: a URL is cut into tokens (digit runs, letter
runs, long hex ids, single punctuation), URLs of one shape are lined up token by token, and
what varies becomes a class (``\\d{8}``, ``\\d+``, ``[a-z]+``) or a template variable, while
what stays the same stays literal. Dates in URLs are never kept literal (next month's article
must match too); a small constant such as a page suffix ``-1`` is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from urllib.parse import urlsplit

_TOKEN = re.compile(
    r"(?P<h>(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}(?![0-9A-Za-z]))"
    r"|(?P<d>\d+)|(?P<a>[A-Za-z]+)|(?P<o>.)",
    re.DOTALL,
)
PAGE = "\x00page\x00"  # a template's page number, as one token


def tokens(text: str) -> list[tuple[str, str]]:
    """``/t20220517_24057210.shtml`` → [("o","/"), ("a","t"), ("d","20220517"), …]."""
    out = []
    position = 0
    while position < len(text):
        if text.startswith(PAGE, position):
            out.append(("p", PAGE))
            position += len(PAGE)
            continue
        match = _TOKEN.match(text, position)
        kind = match.lastgroup
        out.append((kind, match.group()))
        position = match.end()
    return out


def path_of(url: str) -> str:
    """Path and query of a URL, the part a profile's patterns see."""
    parts = urlsplit(url)
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


# --- article URL regex ------------------------------------------------------------------


@dataclass(frozen=True)
class ArticlePattern:
    """The generalised regex, and how it came about (for the draft's report)."""

    regex: str
    clusters: list[tuple[str, int]]  # (cluster regex, links it covers)
    left_out: list[str] = field(default_factory=list)  # links of a shape seen too rarely
    total: int = 0


def _shape(path: str) -> tuple:
    """Links of one shape: same segment count, same query keys."""
    base, _, query = path.partition("?")
    keys = tuple(pair.split("=", 1)[0] for pair in query.split("&")) if query else ()
    return (base.count("/"), keys)


def _segments(path: str) -> list[str]:
    """``/a/b.html?x=1&y=2`` → ["", "a", "b.html", "?x=", "1", "&y=", "2"]: path segments,
    then each query key (literal) followed by its value."""
    base, sep, query = path.partition("?")
    parts = base.split("/")
    if sep:
        for i, pair in enumerate(query.split("&")):
            key, eq, value = pair.partition("=")
            parts += [("?" if i == 0 else "&") + key + eq, value]
    return parts


_META = set(".^$*+?{}[]\\|()")


def escape(text: str) -> str:
    """``re.escape`` for URLs, readable: only regex metacharacters get a backslash."""
    return "".join("\\" + c if c in _META else c for c in text)


def _is_date(value: str) -> bool:
    """``2022``, ``202205``, ``20220517``, ``0517``: a date part, whose length is fixed."""
    year_ok = value[:2] in ("19", "20")
    if len(value) == 4:
        return year_ok or (1 <= int(value[:2]) <= 12 and 1 <= int(value[2:]) <= 31)
    if len(value) == 6:
        return year_ok and 1 <= int(value[4:]) <= 12
    if len(value) == 8:
        return year_ok and 1 <= int(value[4:6]) <= 12 and 1 <= int(value[6:]) <= 31
    return False


ID = "\x01id\x01"  # marks the regex piece of a varying number that may be the article id


def _token_class(values: list[str], kind: str) -> str:
    distinct = set(values)
    if kind == "o":
        return escape(values[0])
    if kind == "a":
        if len(distinct) == 1:
            return escape(values[0])
        if all(v.islower() for v in distinct):
            return "[a-z]+"
        return "[A-Za-z]+"
    if kind == "h":
        lengths = {len(v) for v in distinct}
        chars = "[0-9a-f]" if all(v == v.lower() for v in distinct) else "[0-9A-Fa-f]"
        if len(lengths) == 1:
            return f"{chars}{{{lengths.pop()}}}"
        return f"{chars}{{{min(lengths)},{max(lengths)}}}"
    lengths = {len(v) for v in distinct}
    if len(distinct) == 1 and len(values[0]) <= 2 and len(values) >= 4:
        return values[0]  # a constant small number: a page suffix, a fixed flag
    if len(lengths) == 1 and all(_is_date(v) for v in distinct):
        return f"\\d{{{lengths.pop()}}}"  # yyyy, yyyymm, yyyymmdd, mmdd: fixed widths
    if len(distinct) > 1 and min(lengths) >= 3:
        return ID + "\\d+"
    return "\\d+"  # ids grow: never pin their length


def _segment_regex(values: list[str], last: bool) -> list[str] | None:
    """Regex pieces of one segment position, or None when the values have different shapes."""
    split = [tokens(v) for v in values]
    kinds = {tuple(k if k != "o" else "o" + t for k, t in toks) for toks in split}
    if len(kinds) != 1:
        return None if last else ["[^/?&]+"]
    if len(split[0]) == 1 and split[0][0][0] == "a" and len(set(values)) > 1:
        return [r"[\w-]+"]  # a directory name (a section's): any new one must match too
    pieces = []
    for position in range(len(split[0])):
        kind = split[0][position][0]
        pieces.append(_token_class([toks[position][1] for toks in split], kind))
    return pieces


def _cluster_regex(paths: list[str]) -> list[str] | None:
    columns = list(zip(*(_segments(p) for p in paths), strict=True))
    out: list[str] = []
    for index, column in enumerate(columns):
        last = index == len(columns) - 1
        if (
            index
            and not columns[index - 1][0].startswith(("?", "&"))
            and not (column[0].startswith(("?", "&")))
        ):
            out.append("/")
        if column[0].startswith(("?", "&")) and all(c == column[0] for c in column):
            out.append(escape(column[0]))
            continue
        pieces = _segment_regex(list(column), last)
        if pieces is None:
            return None
        out.extend(pieces)
    return out


def _name_id(regex: str) -> str:
    """Name the article id: the last varying number of three or more digits."""
    index = regex.rfind(ID)
    if index >= 0:
        regex = regex[:index] + "(?P<id>\\d+)" + regex[index + len(ID) + 3 :]
    return regex.replace(ID, "")


def generalise_article_urls(urls: list[str], min_share: float = 0.1) -> ArticlePattern | None:
    """One regex (``^…$`` on path+query) covering the shapes the sampled article links have.

    A shape seen once among many links (a stray link in the list) is left out and reported.
    """
    paths = sorted({path_of(u) for u in urls})
    if not paths:
        return None
    groups: dict[tuple, list[str]] = defaultdict(list)
    for path in paths:
        groups[_shape(path)].append(path)
    clusters: list[tuple[str, int]] = []
    left_out: list[str] = []
    pending = sorted(groups.values(), key=len, reverse=True)
    while pending:
        group = pending.pop(0)
        if len(group) < 2 and (len(group) / len(paths) < min_share or len(paths) > 6):
            left_out += group
            continue
        pieces = _cluster_regex(group)
        if pieces is None:  # the file names differ in shape: split by it
            by_name: dict[tuple, list[str]] = defaultdict(list)
            for path in group:
                by_name[tuple(k for k, _ in tokens(_segments(path)[-1]))].append(path)
            if len(by_name) == 1:
                left_out += group
                continue
            pending = sorted([*pending, *by_name.values()], key=len, reverse=True)
            continue
        clusters.append(("".join(pieces), len(group)))
    if not clusters:
        return None
    clusters.sort(key=lambda c: -c[1])
    alternatives = [_name_id(clusters[0][0]), *(c.replace(ID, "") for c, _ in clusters[1:])]
    clusters = [(c.replace(ID, ""), n) for c, n in clusters]
    regex = (
        "^" + alternatives[0] + "$"
        if len(alternatives) == 1
        else ("^(?:" + "|".join(alternatives) + ")$")
    )
    return ArticlePattern(regex, clusters, left_out, len(paths))


# --- list URL templates -------------------------------------------------------------------


@dataclass(frozen=True)
class Alignment:
    """What a set of URLs share (literal pieces) and where they differ (one value per gap)."""

    literals: list[str]  # len(gaps) + 1 pieces
    values: list[list[str]]  # per URL, one value per gap

    def template(self, names: list[str]) -> str:
        out = self.literals[0]
        for name, literal in zip(names, self.literals[1:], strict=True):
            out += "{" + name + "}" + literal
        return out.replace(PAGE, "{page}")

    @property
    def gaps(self) -> int:
        return len(self.literals) - 1


def align(urls: list[str]) -> Alignment | None:
    """Line up URLs token by token: the tokens every URL shares, in order, stay literal; each
    run between them is a gap. None when the URLs do not fit one template (a gap would be
    empty in some URL, or they share too little)."""
    if not urls:
        return None
    split = [tokens(u) for u in urls]
    reference = split[0]
    keep = [True] * len(reference)
    for other in split[1:]:
        matcher = SequenceMatcher(None, reference, other, autojunk=False)
        matched = {
            block.a + k for block in matcher.get_matching_blocks() for k in range(block.size)
        }
        keep = [k and i in matched for i, k in enumerate(keep)]
    literals: list[str] = [""]
    in_gap = False
    for (_kind, text), kept in zip(reference, keep, strict=True):
        if kept:
            if in_gap:
                literals.append("")
                in_gap = False
            literals[-1] += text
        else:
            in_gap = True
    if in_gap:
        literals.append("")
    gap_count = len(literals) - 1
    regex = "".join(
        re.escape(lit) + ("(.+?)" if i < gap_count else "") for i, lit in enumerate(literals)
    )
    compiled = re.compile("^" + regex + "$", re.S)
    values = []
    for url in urls:
        match = compiled.match(url)
        if match is None:
            return None
        values.append(list(match.groups()))
    return Alignment(literals, values)


def page_number_token(second: str, third: str | None, first: str | None) -> str | None:
    """``second`` (page 2's URL) with its page number replaced by the page token, or None.

    With page 3's URL the page number is the one number that moved by one; without it, the
    last small number (1 or 2) of ``second`` that page 1's URL does not have at that place.
    """
    toks = tokens(second)
    if third:
        other = tokens(third)
        if len(other) == len(toks):
            diffs = [i for i, (a, b) in enumerate(zip(toks, other, strict=True)) if a != b]
            if len(diffs) == 1:
                i = diffs[0]
                a, b = toks[i], other[i]
                if a[0] == b[0] == "d" and int(b[1]) == int(a[1]) + 1:
                    return _replace(toks, i)
            return None
    first_toks = tokens(first) if first else []
    for i in range(len(toks) - 1, -1, -1):
        kind, text = toks[i]
        if kind != "d" or int(text) not in (1, 2):
            continue
        if i < len(first_toks) and first_toks[:i] == toks[:i] and first_toks[i] == toks[i]:
            continue  # page 1 has the same number here: not the page number
        return _replace(toks, i)
    return None


def page_index(second: str, template: str) -> int | None:
    """The page number ``second`` carries under ``template`` (1 for TRS's index_1, 2 for _2)."""
    parts = template.split(PAGE)
    if len(parts) != 2 or not second.startswith(parts[0]) or not second.endswith(parts[1]):
        return None
    middle = second[len(parts[0]) : len(second) - len(parts[1])]
    return int(middle) if middle.isdigit() else None


def _replace(toks, index: int) -> str:
    return "".join(PAGE if i == index else text for i, (_, text) in enumerate(toks))


def variable_name(literal_before: str, taken: set[str]) -> str:
    """A name for a per-section template variable: the query key it is the value of, or the
    word before it in the path (``list_{list_id}_2.html``), made unique."""
    query = re.search(r"[?&]([A-Za-z_]\w*)=$", literal_before)
    if query:
        base = query.group(1).lower()
    else:
        words = re.findall(r"[A-Za-z]+", literal_before)
        base = (words[-1].lower() + "_id") if words else "part"
    name, n = base, 2
    while name in taken or name in ("section", "page", "id", "name"):
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name
