"""Near-duplicate signatures of article bodies, for linking reposts (pure: no storage, no Scrapy).

A repost of a 政法 article keeps most of its sentences but changes its frame: another 来源 or
责任编辑 line, a rewritten lead, a cut ending, an added closing paragraph, traditional characters
on a mirror site. So the body is normalised first (traditional folded to simplified, NFKC, the
来源/作者/编辑 lines dropped, whitespace and punctuation removed) and compared as a set of character
3-grams (Chinese has no spaces; character n-grams need no word segmenter).

The set is summarised by a 128-value MinHash, computed exactly as datasketch's
``MinHash(num_perm=128, seed=1, scheme="affine32")`` does (a test checks they agree) but in a few
lines of numpy: datasketch imports scipy, which would add seconds to every command's start.
Banding the MinHash gives LSH keys that the archive stores as indexed rows, so a new article
finds its candidates by an index lookup. A candidate is the same article if the Jaccard
similarity, or the share of the shorter text contained in the longer one (a cut or extended
repost), reaches the thresholds below (chosen on tests/fixtures/reposts; see
benchmarks/reposts.py): decided from the signatures when the estimate is clear, else from the
two texts (Similarity.verdict, text_similarity).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import zhconv.zhconv as zhconv_tables

# Bodies whose normalised text is shorter than this get no signature and are never clustered:
# short notices ("停电通知：…") share most of their few n-grams with unrelated ones.
MIN_SIGNATURE_CHARS = 80
SHINGLE_CHARS = 3
NUM_PERM = 128
# LSH: 42 bands of 3 values. A pair with Jaccard 0.4 shares a band with probability 0.94,
# one with Jaccard 0.5 with 0.996; unrelated 政法 texts (Jaccard ≤ 0.1) rarely do (4 %).
BANDS, ROWS = 42, 3
# Two texts are the same article if their n-gram sets have a Jaccard similarity of at least
# JACCARD_MIN, or the smaller set lies at least CONTAINMENT_MIN inside the larger (a cut,
# extended or excerpted repost). Measured on the labelled set (exact values): reposts ≥ 0.44 /
# 0.69, hard negatives ≤ 0.32 / 0.51; the thresholds sit in the middle of those gaps.
JACCARD_MIN = 0.38
CONTAINMENT_MIN = 0.6
# The MinHash estimate is good to about ±0.05 (σ ≈ 0.04 at 128 values), and containment derived
# from it is worse: between a short and a long text one chance agreement of 128 already reads as
# 0.65. So the signatures decide only clear cases; a candidate whose estimated Jaccard lies
# between these two values is decided on the two texts' exact n-gram sets (text_similarity).
CLEARLY_SAME_JACCARD = 0.5
CLEARLY_DIFFERENT_JACCARD = 0.2
# Stored with each signature; articles signed under another version count as unsigned, and
# `pingan reposts` asks for a --rebuild. Bump NORMALISATION when normalise() changes.
NORMALISATION = 1
SIGNATURE_VERSION = (
    f"minhash-affine32-s1-p{NUM_PERM}-n{SHINGLE_CHARS}-b{BANDS}x{ROWS}"
    f"-min{MIN_SIGNATURE_CHARS}-norm{NORMALISATION}"
)

# A paragraph that only credits the text (来源/作者/责任编辑/记者/通讯员/摄影 …) is the part a
# repost rewrites; it says nothing about which article this is.
_CREDIT_LABELS = (
    "来源|稿源|出处|作者|文|图|摄影|摄|记者|通讯员|责任编辑|编辑|审核|审校|校对|编审|发布|发布时间|"
    "点击数|浏览"
)
_CREDIT_LINE = re.compile(
    rf"^[\s(（【\[]*(?:(?:{_CREDIT_LABELS})\s*[:：/]|本网记者|法治日报记者|记者\s*\S{{2,4}}\s*通讯员)"
)
_BRACKET_ONLY = re.compile(r"^[\s(（【\[].{0,20}[)）】\]]\s*$")
MAX_CREDIT_LINE_CHARS = 60
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


@functools.cache
def _simplified_chars() -> dict[int, str]:
    """zhconv's zh-cn table, its one-character entries only, for ``str.translate``."""
    table = zhconv_tables.getdict("zh-cn")
    return {ord(trad): simp for trad, simp in table.items() if len(trad) == 1}


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified, so a 繁體 mirror reads like its original.

    Character by character (zhconv's own ``convert`` matches phrases first, about five times
    slower): both copies are folded the same way, which is all a comparison needs."""
    return text.translate(_simplified_chars())


def is_credit_line(line: str) -> bool:
    """A short line that names the source, author or editor, or a bracketed column label."""
    line = line.strip()
    if not line:
        return True
    if len(line) > MAX_CREDIT_LINE_CHARS:
        return False
    return bool(_CREDIT_LINE.match(line) or _BRACKET_ONLY.match(line))


def normalise(body: str, *, fold_traditional: bool = True) -> str:
    """The text two reposts of one article share: no credits, spaces, punctuation, width forms."""
    text = unicodedata.normalize("NFKC", body)
    if fold_traditional:
        text = to_simplified(text)
    kept = [line for line in text.splitlines() if not is_credit_line(line)]
    return _NOT_TEXT.sub("", "".join(kept)).lower()


def shingles(text: str, size: int = SHINGLE_CHARS) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@dataclass(frozen=True)
class Signature:
    """A body's MinHash (uint32 values) and its n-gram count, which containment needs."""

    hashvalues: np.ndarray
    shingle_count: int
    chars: int

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, shingle_count: int, chars: int) -> Signature:
        return cls(np.frombuffer(data, dtype="<u4"), shingle_count, chars)

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per LSH band: equal keys mean that band of values is equal."""
        values = self.hashvalues.astype("<u4")
        keys = []
        for band in range(BANDS):
            chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
            digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys


@cache
def _permutations(num_perm: int = NUM_PERM, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Odd multipliers and offsets of the affine maps h → a·h + b (mod 2³²), as datasketch."""
    gen = np.random.RandomState(seed)  # the legacy generator: same numbers in every numpy
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser (datasketch's pre-mix of each 32-bit hash)."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def minhash(grams: set[str], num_perm: int = NUM_PERM) -> np.ndarray:
    """For each of ``num_perm`` affine permutations, the least permuted SHA-1/32 of the grams."""
    digests = b"".join(hashlib.sha1(g.encode("utf-8")).digest()[:4] for g in grams)
    hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32).reshape(-1, 1))
    a, b = _permutations(num_perm)
    return (hv * a + b).min(axis=0).astype("<u4")


def signature(body: str, *, fold_traditional: bool = True) -> Signature | None:
    """The MinHash of a body, or None when its normalised text is too short to be told apart."""
    text = normalise(body, fold_traditional=fold_traditional)
    if len(text) < MIN_SIGNATURE_CHARS:
        return None
    grams = shingles(text)
    return Signature(minhash(grams), len(grams), len(text))


@dataclass(frozen=True)
class Similarity:
    """Jaccard similarity of two n-gram sets and the share of the smaller inside the larger."""

    jaccard: float
    containment: float

    @property
    def same_article(self) -> bool:
        """The rule, for exact values (from text_similarity)."""
        return self.jaccard >= JACCARD_MIN or self.containment >= CONTAINMENT_MIN

    @property
    def verdict(self) -> bool | None:
        """For estimates (from similarity): True or False when clear, None: compare the texts."""
        if self.jaccard >= CLEARLY_SAME_JACCARD:
            return True
        if self.jaccard < CLEARLY_DIFFERENT_JACCARD:
            return False
        return None


def similarity(one: Signature, other: Signature) -> Similarity:
    """Estimated from the signatures alone: see Similarity.verdict for what it can decide."""
    jaccard = float(np.count_nonzero(one.hashvalues == other.hashvalues)) / NUM_PERM
    # |A ∩ B| = J (|A| + |B|) / (1 + J)
    common = jaccard * (one.shingle_count + other.shingle_count) / (1 + jaccard)
    smaller = min(one.shingle_count, other.shingle_count)
    return Similarity(jaccard, min(1.0, common / smaller) if smaller else 0.0)


def text_similarity(
    one: str | set[str], other: str, *, fold_traditional: bool = True
) -> Similarity:
    """Exact similarity of two bodies' normalised n-gram sets (for borderline estimates).

    ``one`` may be given as its n-gram set already, when one body is compared with several."""
    a = one if isinstance(one, set) else shingles(normalise(one, fold_traditional=fold_traditional))
    b = shingles(normalise(other, fold_traditional=fold_traditional))
    if not a or not b:
        return Similarity(0.0, 0.0)
    common = len(a & b)
    return Similarity(common / len(a | b), common / min(len(a), len(b)))
