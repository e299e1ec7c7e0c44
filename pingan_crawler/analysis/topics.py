"""Topic presets: named word lists kept as TOML data (analysis/presets/*.toml), extendable by users.

A preset counts as one trend line: the articles mentioning any of its words. Users add their own
in files of the same shape, given with ``--preset-file`` or listed in ``$PINGAN_PRESETS``
(separated by ``:``); a preset there replaces a bundled one of the same name.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pingan_crawler.analysis.filters import QueryError
from pingan_crawler.analysis.trends import Series

BUNDLED = Path(__file__).parent / "presets"
ENV = "PINGAN_PRESETS"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    words: tuple[str, ...]
    file: Path

    def series(self) -> Series:
        return Series.of_words(self.name, self.words)


def _read(path: Path) -> dict[str, Preset]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise QueryError(f"preset file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise QueryError(f"preset file {path}: not UTF-8 TOML ({exc})") from None
    presets = {}
    for name, table in data.items():
        words = table.get("words") if isinstance(table, dict) else None
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise QueryError(
                f'preset file {path}: [{name}] needs words = ["…", …], a list of non-empty strings'
            )
        description = table.get("description", "")
        presets[name] = Preset(name, str(description), tuple(w.strip() for w in words), path)
    return presets


def load_presets(files: Iterable[str | Path] = ()) -> dict[str, Preset]:
    """Bundled presets, then those of ``$PINGAN_PRESETS``, then ``files`` (later ones win)."""
    paths = sorted(BUNDLED.glob("*.toml"))
    paths += [Path(p) for p in os.environ.get(ENV, "").split(":") if p]
    paths += [Path(p) for p in files]
    presets: dict[str, Preset] = {}
    for path in paths:
        presets.update(_read(path))
    return presets


def choose(names: Iterable[str], presets: dict[str, Preset]) -> list[Series]:
    """The series of the named presets; an unknown name is an error that lists the known."""
    chosen = []
    for name in names:
        if name not in presets:
            raise QueryError(
                f"no preset {name!r}; known: {', '.join(presets)} "
                "(pingan trends --presets lists them with their words)"
            )
        chosen.append(presets[name].series())
    return chosen
