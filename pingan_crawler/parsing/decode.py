"""Turn page bytes into text, choosing the charset the bytes really are in.

Chinese government sites lie about encodings: a ``charset=utf-8`` header on gb2312 bytes, a
``gb2312`` meta tag on UTF-8 bytes, GBK-only characters (镕, 喆) on pages declared gb2312. So a
declaration is only believed if the bytes decode under it without errors. Order of trust:
profile override > BOM > HTTP header > ``<meta>`` > detection. gb2312/gbk are widened to
gb18030 (w3lib's translation table), which is a strict superset of both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Tried, in this order, when no declaration fits the bytes.
DETECTION_ORDER = ("utf-8", "gb18030", "big5hkscs")


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


def _has_multibyte(body: bytes) -> bool:
    return not body.isascii()


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> DecodedPage:
    """Decode ``body``; ``content_type`` is the HTTP header, ``override`` a profile's charset."""
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
        text = _strict(body[len(bom) :], bom_codec)
        if text is not None:
            return DecodedPage(text, bom_codec, **declared)

    notes: list[str] = []
    # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page claims: GBK text is almost
    # never valid UTF-8, while gb18030 happily "decodes" UTF-8 bytes into mojibake.
    if _has_multibyte(body) and _strict(body, "utf-8") is not None:
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
        if text is not None:
            if header and codec != header:
                notes.append(f"header declares {header} but the bytes are {codec}")
            elif meta and codec != meta and not header:
                notes.append(f"meta declares {meta} but the bytes are {codec}")
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


def _known(codec: str) -> bool:
    try:
        b"".decode(codec)
    except LookupError:
        return False
    return True
