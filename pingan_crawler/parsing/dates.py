"""Publish-time parsing for the date forms Chinese news sites print.

Chinese forms (年月日, 时分秒, full-width digits and colons, ``2017-03-28-00:00:00``, unpadded
``2020-12-8 15:04:17``, two-digit years, US-order ``9/17/2004 5:54:13 AM``) are matched by
pattern and built from their numbers, never guessed fuzzily (a fuzzy parser invents the year).
The result carries the raw text, the precision, and, instead of an invented value, the reason
a date was rejected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
EARLIEST_PLAUSIBLE_YEAR = 1990  # Chinese government news sites start in the late 1990s.

_DATE_RE = re.compile(
    r"(?<!\d)(?P<year>\d{4}|\d{2})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})(?!\d)"
    r"\s*日?"
    r"(?:[\sT-]*(?P<hour>\d{1,2})\s*[:时点]\s*(?P<minute>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<second>\d{1,2})(?!\d)(?:\.\d+)?\s*秒?)?\s*分?"
    r"(?:\s*(?P<ampm>[AaPp][Mm])\b|(?P<tz>Z|[+-]\d{2}:?\d{2})(?!\d))?)?"
)
# ASP/IIS and some blog engines print US order: 9/17/2004 5:54:13 AM, 06/02/2022 - 13:48.
_US_DATE_RE = re.compile(
    r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?![\d/])"
    r"(?:[\s-]*(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm])\b)?)?"
)


@dataclass(frozen=True)
class ParsedDate:
    """A parsed publish time: ``value`` is None when the text held no acceptable date."""

    value: datetime | None
    raw: str | None
    precision: str | None = None  # "day" | "minute" | "second"
    problem: str | None = None

    @property
    def iso(self) -> str | None:
        return self.value.isoformat() if self.value else None


def normalise_text(text: str) -> str:
    """NFKC folds full-width digits and colons (２０２０：) into ASCII."""
    return unicodedata.normalize("NFKC", text)


def _in_shanghai(value: datetime, offset: str | None) -> datetime:
    """Times are Beijing time unless the text states an offset (ISO ``…Z``/``+00:00``)."""
    if not offset:
        return value.replace(tzinfo=SHANGHAI)
    sign = -1 if offset.startswith("-") else 1
    digits = offset.lstrip("+-").replace(":", "") if offset != "Z" else "0000"
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value.replace(tzinfo=timezone(sign * delta)).astimezone(SHANGHAI)


def _search(text: str) -> re.Match | None:
    """The first year-first date, else the first US-order one (never both orders mixed)."""
    return _DATE_RE.search(text) or _US_DATE_RE.search(text)


def find_date_text(text: str) -> str | None:
    """The first date-looking substring of ``text`` (a meta line), or None."""
    match = _search(normalise_text(text))
    return match.group(0).strip() if match else None


def parse_publish_time(raw: str | None, now: datetime | None = None) -> ParsedDate:
    """Parse a publish time printed on a page; reject what cannot be true rather than guess."""
    if raw is None or not raw.strip():
        return ParsedDate(None, raw, problem="no date found")
    match = _search(normalise_text(raw))
    if not match:
        return ParsedDate(None, raw, problem=f"not a date: {raw.strip()[:40]!r}")
    parts = match.groupdict()
    now = now or datetime.now(SHANGHAI)
    year = parts["year"]
    problem_note = None
    if len(year) == 2:
        # 14-01-09: read as this century unless that lands in the future.
        century = 2000 if int(year) <= now.year % 100 else 1900
        year = str(century + int(year))
        problem_note = "two-digit year"
    text = f"{year}-{parts['month']}-{parts['day']}"
    precision = "day"
    if parts["hour"] is not None:
        hour = int(parts["hour"])
        ampm = (parts.get("ampm") or "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        text += f" {hour}:{parts['minute']}"
        precision = "minute"
        if parts["second"] is not None:
            text += f":{parts['second']}"
            precision = "second"
    try:
        # The parts are already numbers in a known order: build the value directly.
        fields = [int(n) for n in re.findall(r"\d+", text)]
        value = datetime(*fields[:6])
    except (ValueError, OverflowError, TypeError) as exc:
        return ParsedDate(None, raw, problem=f"impossible date {match.group(0)!r}: {exc}")
    value = _in_shanghai(value, parts.get("tz"))
    if value.year < EARLIEST_PLAUSIBLE_YEAR:
        return ParsedDate(None, raw, problem=f"implausible year {value.year}")
    if value > now + timedelta(days=1):
        return ParsedDate(None, raw, problem=f"date in the future: {value.isoformat()}")
    return ParsedDate(value, raw, precision, problem=problem_note)
