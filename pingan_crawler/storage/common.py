"""What every part of the archive shares: the clock and the body hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

from pingan_crawler.parsing.dates import SHANGHAI

if TYPE_CHECKING:
    pass


def now_iso() -> str:
    return datetime.now(SHANGHAI).isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    """Hash of the body text with whitespace and width differences folded away."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", body))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
