"""Charset decisions on lying and missing declarations, and on the real-page corpus."""

from __future__ import annotations

import json

import pytest

from pingan_crawler.parsing.decode import decode_html

GBK_ONLY = "朱镕基会见王喆"
GB2312_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    f"</head><body><p>{GBK_ONLY}，平安绍兴。</p></body></html>"
)


def test_gb2312_declared_page_with_gbk_only_characters_decodes_as_gb18030():
    page = decode_html(GB2312_PAGE.encode("gbk"), "text/html")
    assert page.charset == "gb18030"
    assert GBK_ONLY in page.text
    assert page.replaced_chars == 0


def test_utf8_header_on_gbk_bytes_falls_back_to_the_meta_charset():
    page = decode_html(GB2312_PAGE.encode("gbk"), "text/html; charset=utf-8")
    assert GBK_ONLY in page.text
    assert page.notes == ("header declares utf-8 but the bytes are gb18030",)


def test_gb2312_meta_on_utf8_bytes_is_read_as_utf8():
    page = decode_html(GB2312_PAGE.encode(), None)
    assert page.charset == "utf-8"
    assert GBK_ONLY in page.text
    assert "meta declares gb18030 but the bytes are utf-8" in page.notes


def test_undeclared_gbk_page_is_detected():
    html = f"<html><body><p>{GBK_ONLY}，平安绍兴建设取得新成效。</p></body></html>"
    page = decode_html(html.encode("gbk"), "text/html")
    assert page.charset == "gb18030"
    assert GBK_ONLY in page.text


def test_bom_beats_a_wrong_header():
    page = decode_html(b"\xef\xbb\xbf" + "<p>平安</p>".encode(), "text/html; charset=gbk")
    assert page.charset == "utf-8"
    assert page.text == "<p>平安</p>"


def test_profile_override_wins_when_it_decodes():
    body = GB2312_PAGE.encode("gbk")
    page = decode_html(body, "text/html; charset=utf-8", override="gbk")
    assert page.charset == "gb18030"
    assert page.notes == ("charset set by site profile",)


def test_damaged_bytes_are_counted_not_hidden():
    body = "平安绍兴".encode("gbk") + b"\xff\xfe\x81" + "新闻网".encode()
    page = decode_html(body, "text/html")
    assert page.replaced_chars > 0
    assert any("no charset decodes the page cleanly" in n for n in page.notes)


def test_realpages_decode_to_their_labelled_charset(realpages):
    """Every real page decodes to the family its label names (gb2312/gbk widen to gb18030)."""
    family = {
        "gb2312": "gb18030",
        "gbk": "gb18030",
        "gb18030": "gb18030",
        "utf-8": "utf-8",
        "big5": "big5hkscs",
    }
    wrong = []
    for line in (realpages / "labels.jsonl").read_text("utf-8").splitlines():
        label = json.loads(line)
        page = decode_html((realpages / label["file"]).read_bytes())
        if page.charset != family[label["charset"]]:
            wrong.append((label["file"], label["charset"], page.charset))
        if "charset_note" not in label:
            assert page.replaced_chars == 0, label["file"]
    assert wrong == []


@pytest.mark.parametrize("number", ["044", "045", "056", "057"])
def test_realpages_declaring_gb2312_but_utf8(realpages, number):
    page = decode_html((realpages / "pages" / f"{number}.html").read_bytes())
    assert page.charset == "utf-8"
    assert any("but the bytes are utf-8" in note for note in page.notes)
