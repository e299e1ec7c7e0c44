"""How snapshot bodies are packed: zlib at first, then zstd with a dictionary trained per site.

One page of a Chinese news site is a few KB of template around a few KB of CJK text; zlib alone
keeps about half of it (measured: 0.50 of the raw bytes on the sample site), because each page is
compressed on its own and the template is paid for every time. A zstd dictionary trained on a
site's own pages holds that template once: on the sample site a 32 KB dictionary trained on half
the pages packs the other half to 0.15; on 10,000 generated pages the archive holds 0.14 of
the raw bytes (benchmarks/storage.py). So a site's first pages are zlib;
once it has ``TRAIN_AFTER`` of them, a dictionary is trained from them and later pages use it.
Dictionaries are never changed once written (a body names the one it needs), so every body stays
readable forever; ``archive.snapshots.compact()`` repacks the early zlib bodies.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import zstandard

TRAIN_AFTER = 100  # zlib bodies of one site before its dictionary is trained
TRAIN_SAMPLES = 500  # at most this many of them are used to train it
DICT_SIZE = 32 * 1024  # measured best of 16/32/64 KB on the sample site
ZSTD_LEVEL = 3  # level 9 packs ~10 % smaller at a fifth of the speed
ZLIB = "zlib"


def zstd_label(dict_id: int) -> str:
    """The ``compression`` value of a body packed with dictionary ``dict_id``."""
    return f"zstd:{dict_id}"


def pack_zlib(body: bytes) -> tuple[str, bytes]:
    return ZLIB, zlib.compress(body, 6)


def train(samples: list[bytes]) -> bytes | None:
    """A zstd dictionary from a site's pages; None when they are too few or too alike."""
    if len(samples) < 8:
        return None
    try:
        return zstandard.train_dictionary(DICT_SIZE, samples).as_bytes()
    except zstandard.ZstdError:  # e.g. too little distinct content to build a dictionary
        return None


class DictPacker:
    """Packs bodies with one stored dictionary (reused: building a compressor costs time)."""

    def __init__(self, dict_id: int, dictionary: bytes):
        self.label = zstd_label(dict_id)
        self._compressor = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, dict_data=zstandard.ZstdCompressionDict(dictionary)
        )

    def pack(self, body: bytes) -> tuple[str, bytes]:
        return self.label, self._compressor.compress(body)


class Unpacker:
    """Unpacks any stored body; ``load_dictionary(id)`` fetches a dictionary's bytes once."""

    def __init__(self, load_dictionary: Callable[[int], bytes]):
        self._load = load_dictionary
        self._decompressors: dict[int, zstandard.ZstdDecompressor] = {}

    def unpack(self, compression: str | None, data: bytes | None) -> bytes:
        """The page bytes; ValueError when they cannot be read (damaged, unknown codec)."""
        if data is None:
            raise ValueError("no data stored")
        try:
            return self._unpack(compression, data)
        except (zlib.error, zstandard.ZstdError) as exc:
            raise ValueError(f"{compression} data is damaged ({exc})") from exc

    def _unpack(self, compression: str | None, data: bytes) -> bytes:
        if compression == ZLIB:
            return zlib.decompress(data)
        if compression in ("", "none", None):
            return bytes(data)
        kind, _, dict_id = compression.partition(":")
        if kind != "zstd" or not dict_id.isdigit():
            raise ValueError(f"unknown snapshot compression {compression!r}")
        number = int(dict_id)
        if number not in self._decompressors:
            try:
                stored = self._load(number)
            except KeyError as exc:
                raise ValueError(f"its dictionary {number} is missing") from exc
            dictionary = zstandard.ZstdCompressionDict(stored)
            self._decompressors[number] = zstandard.ZstdDecompressor(dict_data=dictionary)
        return self._decompressors[number].decompress(data)
