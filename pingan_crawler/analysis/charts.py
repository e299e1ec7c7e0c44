"""Charts as Vega-Lite specifications: drawn by Vega in the report, in Datasette, and as files.

One spec serves three places: the report page (vega-embed, inlined by vl-convert's JavaScript
bundle, so it opens with no network), the dashboards of ``pingan explore`` (datasette-dashboards
fills in the data from the query), and ``pingan trends --chart`` (vl-convert renders PNG or SVG
without a browser). Chinese labels need a font that has the glyphs: files are rendered with a
CJK font found on the machine (Debian's fonts-noto-cjk, or ``$PINGAN_CJK_FONT``); pages name a
list of common CJK fonts and the reader's browser takes the first it has.

vl-convert (the ``charts`` extra) is imported only when a chart is rendered.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "pip install 'pingan-crawler[charts]'"
FONT_ENV = "PINGAN_CJK_FONT"
# For browsers: whichever of these the reader's machine has (Linux, macOS, Windows).
BROWSER_FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
_KNOWN_FILES = {  # file name start → family, for machines without fc-list
    "NotoSansCJK": "Noto Sans CJK SC",
    "NotoSerifCJK": "Noto Serif CJK SC",
    "SourceHanSans": "Source Han Sans SC",
    "wqy-microhei": "WenQuanYi Micro Hei",
    "wqy-zenhei": "WenQuanYi Zen Hei",
}


class ChartError(RuntimeError):
    """A chart cannot be made (no charts extra, a bad file name); the message says what to do."""


@dataclass(frozen=True)
class Font:
    file: Path
    family: str


def _fc_list() -> list[tuple[Path, str]]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = []
    for line in out.splitlines():
        file, _, families = line.partition(":")
        if families.strip():
            fonts.append((Path(file.strip()), families.split(",")[0].strip()))
    return fonts


def _rank(family: str) -> tuple:
    """Simplified-Chinese sans fonts first (Noto Sans CJK SC is what .ci/run installs)."""
    return ("SC" not in family, "Sans" not in family and "Hei" not in family, family)


@functools.cache
def cjk_font() -> Font | None:
    """A font file with Chinese glyphs and its family name, or None when the machine has none."""
    chosen = os.environ.get(FONT_ENV)
    if chosen and Path(chosen).is_file():
        name = Path(chosen).name
        family = next((f for k, f in _KNOWN_FILES.items() if name.startswith(k)), Path(chosen).stem)
        return Font(Path(chosen), family)
    listed = [(f, fam) for f, fam in _fc_list() if f.is_file()]
    if listed:
        file, family = min(listed, key=lambda item: _rank(item[1]))
        return Font(file, family)
    for root in _FONT_DIRS:
        for path in sorted(Path(root).rglob("*")) if Path(root).is_dir() else ():
            for start, family in _KNOWN_FILES.items():
                if path.name.startswith(start) and path.suffix.lower() in (".ttc", ".otf", ".ttf"):
                    return Font(path, family)
    return None


def require_vl_convert():
    """The vl_convert module, or :class:`ChartError` saying how to install it."""
    try:
        import vl_convert
    except ImportError:
        raise ChartError(f"charts need vl-convert: {INSTALL_HINT}") from None
    return vl_convert


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed in one script (globals ``vegaEmbed``…), for inlining."""
    return require_vl_convert().javascript_bundle()


def save_chart(spec: dict, path: str | Path) -> Font | None:
    """Render ``spec`` to ``path`` (.png at twice the size, or .svg); returns the font used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ChartError(f"--chart {path}: give a file name ending in .png or .svg")
    vlc = require_vl_convert()
    font = cjk_font()
    config = {}
    if font:
        vlc.register_font_directory(str(font.file.parent))
        config["font"] = font.family
    try:
        if suffix == ".png":
            path.write_bytes(vlc.vegalite_to_png(spec, scale=2, config=config))
        else:
            path.write_text(vlc.vegalite_to_svg(spec, config=config), "utf-8")
    except OSError as exc:
        raise ChartError(f"--chart {path}: cannot write ({exc.strerror})") from None
    return font


# -- specs ------------------------------------------------------------------------------------
def _axis_x(field: str, title: str, kind: str = "ordinal") -> dict:
    axis = {"labelAngle": -45, "labelOverlap": True} if kind == "ordinal" else {}
    return {"field": field, "type": kind, "title": title, "sort": "ascending", "axis": axis}


def _tip(field: str, kind: str, title: str, fmt: str | None = None) -> dict:
    tip = {"field": field, "type": kind, "title": title}
    return {**tip, "format": fmt} if fmt else tip


def line_chart(
    x: str,
    y: str,
    color: str | None,
    *,
    x_title: str,
    y_title: str,
    color_title: str = "",
    tooltip: list[tuple] = (),
    x_type: str = "ordinal",
    facet: str | None = None,
    width: int | str = 720,
    height: int = 260,
) -> dict:
    """Lines of ``y`` over ``x``, one per ``color``; ``tooltip``: (field, type, title[, format])."""
    encoding = {
        "x": _axis_x(x, x_title, x_type),
        "y": {"field": y, "type": "quantitative", "title": y_title},
        "tooltip": [_tip(*t) for t in tooltip],
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal", "title": color_title}
    spec = {"mark": {"type": "line", "point": True, "tooltip": True}, "encoding": encoding}
    if facet:
        return {
            "facet": {"field": facet, "type": "nominal", "title": None},
            "columns": 3,
            "spec": {**spec, "width": 300, "height": 160},
        }
    return {**spec, "width": width, "height": height}


def stacked_bars(
    x: str,
    y: str,
    color: str,
    *,
    x_title: str,
    y_title: str,
    color_title: str,
    width: int | str = 720,
    height: int = 260,
) -> dict:
    return {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": _axis_x(x, x_title),
            "y": {"field": y, "type": "quantitative", "title": y_title, "stack": True},
            "color": {"field": color, "type": "nominal", "title": color_title},
            "tooltip": [
                {"field": x, "type": "ordinal", "title": x_title},
                {"field": color, "type": "nominal", "title": color_title},
                {"field": y, "type": "quantitative", "title": y_title},
            ],
        },
        "width": width,
        "height": height,
    }


def ranked_bars(
    category: str, value: str, *, title: str, value_title: str, width: int | str = 420
) -> dict:
    """Horizontal bars, longest first."""
    return {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": category, "type": "nominal", "title": title, "sort": "-x"},
            "x": {"field": value, "type": "quantitative", "title": value_title},
            "tooltip": [
                {"field": category, "type": "nominal", "title": title},
                {"field": value, "type": "quantitative", "title": value_title},
            ],
        },
        "width": width,
    }


def heatmap(
    x: str, y: str, value: str, *, x_title: str, y_title: str, value_title: str, extra=()
) -> dict:
    """Cells coloured by ``value``, with the number written in each."""
    tooltip = [
        {"field": x, "type": "nominal", "title": x_title},
        {"field": y, "type": "nominal", "title": y_title},
        {"field": value, "type": "quantitative", "title": value_title},
        *({"field": f, "type": "quantitative", "title": t} for f, t in extra),
    ]
    return {
        "encoding": {
            "x": {"field": x, "type": "nominal", "title": x_title, "axis": {"labelAngle": -45}},
            "y": {"field": y, "type": "nominal", "title": y_title},
        },
        "layer": [
            {
                "mark": {"type": "rect", "tooltip": True},
                "encoding": {
                    "color": {"field": value, "type": "quantitative", "title": value_title},
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {"text": {"field": value, "type": "quantitative"}},
            },
        ],
    }


def with_data(spec: dict, rows: list[dict], title: str | None = None, font: str | None = None):
    """A complete Vega-Lite spec: ``spec`` with its rows inline (and a title and font)."""
    full = {**spec, "data": {"values": rows}}  # no $schema: the bundled Vega-Lite's own
    if title:
        full["title"] = title
    if font:
        full["config"] = {"font": font}
    return full


PERIOD_TITLES = {"month": "month", "week": "week (ISO)", "quarter": "quarter", "year": "year"}


def trend_spec(
    rows: list[dict], by: str, per_site: bool, font: str | None = None, width: int | str = 0
) -> dict:
    """`pingan trends` as lines: articles per period mentioning each word (facets per site)."""
    words = list(dict.fromkeys(r["word"] for r in rows))
    one_word_per_site = per_site and len(words) == 1  # then a line per site, in one chart
    spec = line_chart(
        "period",
        "articles",
        "site" if one_word_per_site else "word",
        x_title=PERIOD_TITLES[by],
        y_title="articles mentioning it",
        color_title="site" if one_word_per_site else "word / topic",
        tooltip=[
            *([("site", "nominal", "site")] if per_site else []),
            ("period", "ordinal", PERIOD_TITLES[by]),
            ("word", "nominal", "word"),
            ("articles", "quantitative", "articles"),
            ("total", "quantitative", "all articles"),
            ("share", "quantitative", "share", ".1%"),
        ],
        facet="site" if per_site and not one_word_per_site else None,
        width=width or max(360, min(1400, 14 * len({r["period"] for r in rows}))),
    )
    if not one_word_per_site:  # the legend in the order the words were given
        target = spec.get("spec", spec)
        target["encoding"]["color"]["sort"] = words
    return with_data(spec, rows, f"{', '.join(words)}: articles per {by}", font)
