"""The generic extractor on government CMS article pages (tests/fixtures/govpages/).

Each page models one kind (README.md there): TRS, Hanweb, VSB with 编辑/审核 under the body,
DedeCMS, PHPCMS, EmpireCMS, PowerEasy, Kesion, custom ASP/JSP, JEECMS, a party paper, a
portal. Parsed with no profile, every meta field must equal the expected JSON written by
hand in build.py: source, editor, author, byline, every credit, the printed view count, and
the counter a script fills the count from (its absolute URL and how to read its reply).
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from pingan_crawler.parsing.article import extract_article

GOVPAGES = FIXTURES / "govpages"
FIELDS = (
    "source",
    "editor",
    "author",
    "byline",
    "credits",
    "view_count",
    "counter_url",
    "counter_kind",
)
EXPECTED = sorted(GOVPAGES.glob("expected/*.json"))


def test_every_kind_has_a_page():
    names = {path.stem for path in EXPECTED}
    for family in ("trs", "hanweb", "vsb", "dedecms", "phpcms", "empirecms", "powereasy"):
        assert any(name.startswith(family) for name in names), family
    for kind in ("kesion", "jsp_plugin", "custom_asp_printed", "jeecms", "party_paper"):
        assert kind in names
    assert len(EXPECTED) >= 18


@pytest.mark.parametrize("path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_govpage_meta_fields_without_profile(path):
    expected = json.loads(path.read_text("utf-8"))
    body = (GOVPAGES / f"{path.stem}.html").read_bytes()
    got = extract_article(body, expected["url"]).to_json()
    assert got["title"], path.stem
    assert len(got["body"]) > 100, path.stem
    for field in FIELDS:
        assert got[field] == expected[field], f"{path.stem}: {field}"
