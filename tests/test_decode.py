"""Charset decisions on lying and missing declarations, and on the real-page corpus."""

from __future__ import annotations

import json

import pytest

from pingan_crawler.parsing.article import extract_article
from pingan_crawler.parsing.decode import decode_html
from pingan_crawler.parsing.sniff import binary_type

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
    """Every real page decodes to the charset its label names, character for character.

    The label is the first of utf-8 → gb2312 → gbk → gb18030 that strictly decodes the file;
    gb2312 and gbk are read as gb18030 (as browsers and w3lib do), which differs from Python's
    own gb2312 table only in two punctuation marks (A1A4 ·, A1AA —), so the text is compared
    with the label's reading under that family codec."""
    family = {
        "gb2312": "gb18030",
        "gbk": "gb18030",
        "gb18030": "gb18030",
        "utf-8": "utf-8",
        "big5": "big5hkscs",
    }
    wrong = []
    labels = [
        json.loads(line)
        for line in (realpages / "labels.jsonl").read_text("utf-8").split("\n")
        if line
    ]
    for label in labels:
        body = (realpages / label["file"]).read_bytes()
        page = decode_html(body)
        codec = family[label["charset"]]
        if page.charset != codec or page.text != body.decode(codec, errors="replace"):
            wrong.append((label["file"], label["charset"], page.charset))
        if "charset_note" not in label:
            assert page.replaced_chars == 0, label["file"]
            assert not any("Big5" in note for note in page.notes), label["file"]
    assert len(labels) >= 60
    assert wrong == []


@pytest.mark.parametrize("number", ["044", "045", "056", "057"])
def test_realpages_declaring_gb2312_but_utf8(realpages, number):
    page = decode_html((realpages / "pages" / f"{number}.html").read_bytes())
    assert page.charset == "utf-8"
    assert any("but the bytes are utf-8" in note for note in page.notes)


# --- Big5 under a GB declaration ------------------------------------------------------------

TRADITIONAL = (
    "<html><head>{meta}<title>平安社區建設推進會在市區召開</title></head><body>"
    "<h1>平安社區建設推進會在市區召開</h1>"
    '<div class="info">發布時間：2024-03-18 09:30 來源：市公安局 責任編輯：陳曉明</div>'
    '<div class="content"><p>本月十八日上午，全市平安社區建設推進會在市民服務中心舉行。會議總結了'
    "去年以來各街道在治安巡邏、矛盾調解和反詐宣傳方面的做法，並對下一階段的工作作出部署。</p>"
    "<p>會上，三個街道的負責人分別介紹了經驗。他們表示，將繼續發動志願者參與夜間巡邏，"
    "做好重點場所的安全檢查，確保群眾生活安寧。</p></div></body></html>"
)
GB2312_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


@pytest.mark.parametrize(
    ("meta", "header"),
    [
        (GB2312_META, None),
        ('<meta charset="gbk">', None),
        ("", None),
        ("", "text/html; charset=gb2312"),
        (GB2312_META, "text/html; charset=utf-8"),
    ],
)
def test_big5_bytes_under_a_gb_declaration_are_read_as_big5(meta, header):
    html = TRADITIONAL.format(meta=meta)
    page = decode_html(html.encode("big5"), header)
    assert page.charset == "big5hkscs"
    assert page.text == html
    if meta or header:
        assert any(note.endswith("but the bytes are big5hkscs") for note in page.notes)


def test_big5_page_under_gb2312_meta_is_extracted_with_a_warning():
    html = TRADITIONAL.format(meta=GB2312_META)
    article = extract_article(html.encode("big5"), "http://www.example.gov.tw/news/1.html", None)
    assert article.title == "平安社區建設推進會在市區召開"
    assert "確保群眾生活安寧" in article.body
    assert article.published_raw and "2024-03-18" in article.published_raw
    assert article.charset == "big5hkscs"
    assert "meta declares gb18030 but the bytes are big5hkscs" in article.warnings


def test_big5_that_no_detector_can_confirm_is_flagged_not_passed_off():
    # One GBK-only pair (81 40) makes the bytes invalid Big5: the GBK reading is all that
    # decodes, and it is mojibake. It is kept, with a warning saying so.
    body = TRADITIONAL.format(meta=GB2312_META).encode("big5").replace(b"<h1>", b"<h1>\x81\x40")
    page = decode_html(body)
    assert page.charset == "gb18030"
    assert any("outside GB2312" in note and "Big5" in note for note in page.notes)


def test_simplified_gbk_under_a_big5_declaration_is_read_as_gbk():
    html = GB2312_PAGE.replace("gb2312", "big5")
    page = decode_html(html.encode("gbk"))
    assert page.charset == "gb18030"
    assert page.text == html


def test_traditional_characters_in_a_gbk_page_are_not_taken_for_big5():
    # 繁體 text encoded in GBK (a mainland site's 繁體版): GBK's own traditional characters.
    html = TRADITIONAL.format(meta='<meta charset="gbk">')
    page = decode_html(html.encode("gbk"))
    assert page.charset == "gb18030"
    assert page.text == html


# --- UTF-16 and NUL bytes -------------------------------------------------------------------

UTF16_PAGE = (
    '<html><head><meta charset="utf-16"><title>反诈宣传进社区</title></head><body>'
    "<h1>反诈宣传进社区</h1><p>发布时间：2024-05-06</p>"
    "<div class='article'><p>民警走进社区，向居民讲解常见的电信网络诈骗手法。</p></div>"
    "</body></html>"
)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_pages_decode_with_or_without_a_bom(codec):
    body = UTF16_PAGE.encode(codec)  # "utf-16" writes a BOM; -le/-be do not
    page = decode_html(body, "text/html")
    assert page.text == UTF16_PAGE
    assert page.charset in ("utf-16-le", "utf-16-be")
    assert binary_type(body) is None


def test_utf16_big_endian_with_a_bom():
    body = b"\xfe\xff" + UTF16_PAGE.encode("utf-16-be")
    assert decode_html(body).text == UTF16_PAGE
    article = extract_article(body, "http://example.gov.cn/a/1.html", None)
    assert article.title == "反诈宣传进社区"
    assert "电信网络诈骗" in article.body


def test_a_utf16_meta_on_ascii_compatible_bytes_is_a_lie():
    page = decode_html(UTF16_PAGE.encode("utf-8"))
    assert page.charset == "utf-8"
    assert page.text == UTF16_PAGE


def test_stray_nul_bytes_are_dropped_and_counted():
    html = UTF16_PAGE.replace("utf-16", "gbk")
    body = html.encode("gbk")
    body = body.replace(b"<h1>", b"<h1>\x00") + b"\x00" * 300  # a truncated save padded with NULs
    assert binary_type(body) is None
    page = decode_html(body)
    assert page.text == html
    assert "301 NUL bytes removed from the text" in page.notes
    article = extract_article(body, "http://example.gov.cn/a/1.html", None)
    assert article.title == "反诈宣传进社区"
    assert "电信网络诈骗" in article.body


def test_control_characters_never_reach_lxml():
    html = "<html><body><h1>标题\x01</h1><p>正文\x0b内容\x0c。</p></body></html>"
    page = decode_html(html.encode("utf-8"))
    assert page.text == "<html><body><h1>标题</h1><p>正文内容 。</p></body></html>"
    assert "3 control characters removed from the text" in page.notes
