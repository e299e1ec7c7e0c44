"""Turn page bytes into text, choosing the charset the bytes really are in.

Chinese government sites lie about encodings: a ``charset=utf-8`` header on gb2312 bytes, a
``gb2312`` meta tag on UTF-8 bytes, GBK-only characters (镕, 喆) on pages declared gb2312, Big5
bytes under a gb2312 meta. So a declaration is only believed if the bytes decode under it
without errors, and a GBK reading that looks like Big5 is put to a detector. Order of trust:
profile override > BOM > UTF-16 by its NUL pattern > HTTP header > ``<meta>`` > detection.
gb2312/gbk are widened to gb18030 (w3lib's translation table, as browsers do), which is a
strict superset of both.

Text comes out free of NUL and other control characters: lxml refuses them in any string it
is given, so one stray NUL in a page would otherwise sink the whole parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Tried, in this order, when no declaration fits the bytes.
DETECTION_ORDER = ("utf-8", "gb18030", "big5hkscs")
# A gb18030 reading is doubted when more than this share of its non-ASCII characters lie
# outside GB2312. Real GBK pages measured ≤ 0.03 (../shared/realpages); Big5 bytes read as
# GBK ≈ 0.5, since Big5 trail bytes 0x40–0x7E never occur in GB2312.
BIG5_SUSPICION = 0.1
_MIN_SUSPECT_CHARS = 8  # below this many misses a page is too short to doubt
# Characters XML (and so lxml) refuses; form feed is whitespace to HTML and becomes a space.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UNICODE_WIDE = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


@dataclass(frozen=True)
class DecodedPage:
    """A page's text and how it was obtained."""

    text: str
    charset: str
    declared_header: str | None = None
    declared_meta: str | None = None
    replaced_chars: int = 0
    notes: tuple[str, ...] = field(default=())


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def utf16_without_bom(body: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the bytes are UTF-16 markup with no BOM, else None.

    UTF-16 HTML is mostly ASCII markup, so every other byte is NUL: the odd bytes (LE) or the
    even ones (BE). Stray NULs in an 8-bit page do not make that pattern.
    """
    head = body[:512]
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    even_zeros, odd_zeros = even.count(0), odd.count(0)
    if odd_zeros > 0.6 * len(odd) and even_zeros < 0.05 * len(even) and b"<" in even:
        return "utf-16-le"
    if even_zeros > 0.6 * len(even) and odd_zeros < 0.05 * len(odd) and b"<" in odd:
        return "utf-16-be"
    return None


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> DecodedPage:
    """Decode ``body``; ``content_type`` is the HTTP header, ``override`` a profile's charset."""
    page = _decode(body, content_type, override)
    cleaned, removed = _CONTROL.subn(_control_replacement, page.text)
    if not removed:
        return page
    nul = page.text.count("\x00")
    what = f"{nul} NUL bytes" if nul == removed else f"{removed} control characters"
    return DecodedPage(
        cleaned,
        page.charset,
        page.declared_header,
        page.declared_meta,
        page.replaced_chars,
        (*page.notes, f"{what} removed from the text"),
    )


def _control_replacement(match: re.Match) -> str:
    return " " if match.group() == "\x0c" else ""


def _decode(body: bytes, content_type: str | None, override: str | None) -> DecodedPage:
    header = (
        resolve_encoding(http_content_type_encoding(content_type) or "") if content_type else None
    )
    meta = html_body_declared_encoding(body[:4096])
    meta = resolve_encoding(meta) if meta else None
    declared = {"declared_header": header, "declared_meta": meta}

    if override:
        codec = resolve_encoding(override) or override
        text = _strict(body, codec)
        if text is not None:
            return DecodedPage(text, codec, **declared, notes=("charset set by site profile",))

    bom_codec, bom = read_bom(body)
    if bom_codec:
        text = body[len(bom) :].decode(bom_codec, errors="replace")
        replaced = text.count("\ufffd")
        notes = (f"{replaced} bytes replaced under {bom_codec}",) if replaced else ()
        return DecodedPage(text, bom_codec, **declared, replaced_chars=replaced, notes=notes)

    wide = utf16_without_bom(body)
    if wide:
        text = body[: len(body) - len(body) % 2].decode(wide, errors="replace")
        replaced = text.count("\ufffd")
        notes = [f"no byte-order mark; the bytes are {wide}"]
        if replaced:
            notes.append(f"{replaced} bytes replaced under {wide}")
        return DecodedPage(text, wide, **declared, replaced_chars=replaced, notes=tuple(notes))
    # Without the NUL pattern a UTF-16 declaration is a lie (browsers read such pages as UTF-8).
    header = None if header in _UNICODE_WIDE else header
    meta = None if meta in _UNICODE_WIDE else meta

    notes: list[str] = []
    # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page claims: GBK text is almost
    # never valid UTF-8, while gb18030 happily "decodes" UTF-8 bytes into mojibake.
    if not body.isascii() and _strict(body, "utf-8") is not None:
        for name, value in (("header", header), ("meta", meta)):
            if value and value != "utf-8":
                notes.append(f"{name} declares {value} but the bytes are utf-8")
        return DecodedPage(body.decode("utf-8"), "utf-8", **declared, notes=tuple(notes))

    candidates = [c for c in (header, meta) if c] + list(DETECTION_ORDER)
    seen: list[str] = []
    for codec in candidates:
        if codec in seen:
            continue
        seen.append(codec)
        text = _strict(body, codec)
        if text is None:
            continue
        checked = _check_chinese_reading(body, codec, text)
        if checked is not None:
            codec, text, doubt = checked
            if doubt:
                notes.append(doubt)
        if header and codec != header:
            notes.insert(0, f"header declares {header} but the bytes are {codec}")
        elif meta and codec != meta and not header:
            notes.insert(0, f"meta declares {meta} but the bytes are {codec}")
        return DecodedPage(text, codec, **declared, notes=tuple(notes))

    # Nothing decodes cleanly (mixed or damaged bytes): keep the least damaged reading and say so.
    best_codec, best_text = min(
        ((c, body.decode(c, errors="replace")) for c in seen if _known(c)),
        key=lambda pair: pair[1].count("\ufffd"),
    )
    replaced = best_text.count("\ufffd")
    notes.append(
        f"no charset decodes the page cleanly; {replaced} bytes replaced under {best_codec}"
    )
    return DecodedPage(
        best_text, best_codec, **declared, replaced_chars=replaced, notes=tuple(notes)
    )


def _check_chinese_reading(body: bytes, codec: str, text: str) -> tuple[str, str, str] | None:
    """A second opinion on a GBK or Big5 reading that the bytes allow but may be wrong.

    Big5 bytes are nearly always valid GBK, so a strict decode proves nothing: a gb18030
    reading with many characters outside GB2312, or a Big5 reading of bytes that are all
    GB2312, goes to charset-normalizer, which weighs both readings as text. Returns
    ``(codec, text, doubt)`` when it had a say (``doubt`` is a note when the reading stays
    questionable), None when the reading is not in question.
    """
    if codec == "gb18030":
        non_ascii = len(text) - len(text.encode("ascii", "ignore"))
        misses = body.decode("gb2312", errors="replace").count("\ufffd")
        if misses < _MIN_SUSPECT_CHARS or misses <= BIG5_SUSPICION * non_ascii:
            return None
        share = misses / max(non_ascii, 1)
    elif codec.startswith("big5") or codec == "cp950":
        if _strict(body, "gb2312") is None:
            return None
        share = None
    else:
        return None
    verdict = _detect_chinese(body)
    if verdict and verdict != codec:
        other = _strict(body, verdict)
        if other is not None:
            return verdict, other, ""
    if verdict == codec or share is None:
        return codec, text, ""
    return (
        codec,
        text,
        f"read as {codec}, but {share:.0%} of its characters are outside GB2312: the page "
        f"may be in another charset (Big5?); check its text",
    )


def _detect_chinese(body: bytes) -> str | None:
    """charset-normalizer's choice between GBK and Big5 for ``body`` (None when neither reads
    as text)."""
    from charset_normalizer import from_bytes  # lazily: most pages never need it

    best = from_bytes(
        body, cp_isolation=["gb18030", "big5hkscs"], preemptive_behaviour=False
    ).best()
    return resolve_encoding(best.encoding) if best else None


def _known(codec: str) -> bool:
    try:
        b"".decode(codec)
    except LookupError:
        return False
    return True
