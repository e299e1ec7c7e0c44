"""Publish-time normalisation: Chinese forms in, Asia/Shanghai datetimes (or a reason) out."""

from __future__ import annotations

from datetime import datetime

import pytest

from pingan_crawler.parsing.dates import SHANGHAI, parse_publish_time

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "iso", "precision"),
    [
        ("2020-12-8 15:04:17", "2020-12-08T15:04:17+08:00", "second"),
        ("2025年09月22日", "2025-09-22T00:00:00+08:00", "day"),
        ("2025年7月2日 03:19", "2025-07-02T03:19:00+08:00", "minute"),
        ("２０２０年１２月８日 １５：０４", "2020-12-08T15:04:00+08:00", "minute"),
        ("2017-03-28-00:00:00", "2017-03-28T00:00:00+08:00", "second"),
        ("2020/12/08 9:5", "2020-12-08T09:05:00+08:00", "minute"),
        ("2024.05.11", "2024-05-11T00:00:00+08:00", "day"),
        ("发布时间：2021年3月5日 10时30分", "2021-03-05T10:30:00+08:00", "minute"),
    ],
)
def test_chinese_date_forms(raw, iso, precision):
    parsed = parse_publish_time(raw, now=NOW)
    assert parsed.iso == iso
    assert parsed.precision == precision
    assert parsed.raw == raw
    assert parsed.value.tzinfo is SHANGHAI


def test_two_digit_year_is_read_and_flagged():
    parsed = parse_publish_time("14-01-09 09:06:17", now=NOW)
    assert parsed.iso == "2014-01-09T09:06:17+08:00"
    assert parsed.problem == "two-digit year"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("0000-00-00", "impossible date"),
        ("2020-13-45", "impossible date"),
        ("2099-1-1 00:00:00", "date in the future"),
        ("1970-01-01", "implausible year"),
        ("昨天下午", "not a date"),
        ("", "no date found"),
        (None, "no date found"),
    ],
)
def test_bad_dates_are_rejected_never_invented(raw, problem):
    parsed = parse_publish_time(raw, now=NOW)
    assert parsed.value is None
    assert parsed.problem.startswith(problem)
    assert parsed.raw == raw


def test_year_is_never_taken_from_the_clock():
    # dateutil's fuzzy mode would turn "3月5日" into this year's March 5th.
    assert parse_publish_time("3月5日 10:30", now=NOW).value is None


@pytest.mark.parametrize(
    ("raw", "iso", "precision"),
    [
        # ASP/IIS US order and 12-hour clocks (old portals, blog engines)
        ("9/17/2004 5:54:13 AM", "2004-09-17T05:54:13+08:00", "second"),
        ("发表于2005年09月07日 11:57 PM", "2005-09-07T23:57:00+08:00", "minute"),
        ("12/1/2019 12:05 AM", "2019-12-01T00:05:00+08:00", "minute"),
        # ISO timestamps with an offset (article:published_time) are converted to Beijing time
        ("2024-05-10T02:39:27Z", "2024-05-10T10:39:27+08:00", "second"),
        ("2022-02-06T12:48:06+00:00", "2022-02-06T20:48:06+08:00", "second"),
        ("2022-02-06T12:48:06.250+08:00", "2022-02-06T12:48:06+08:00", "second"),
    ],
)
def test_us_order_twelve_hour_and_offset_times(raw, iso, precision):
    parsed = parse_publish_time(raw, now=NOW)
    assert (parsed.iso, parsed.precision) == (iso, precision)


def test_ambiguous_slashes_are_not_a_date_when_they_run_on():
    assert parse_publish_time("1/2/3/2004", now=NOW).value is None
