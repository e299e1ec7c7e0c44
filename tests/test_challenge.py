"""Pure checks: challenge vendors, binary files, soft 404s, Retry-After — and no false alarms."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES, PASXW, load_manifest, page_bytes

from pingan_crawler.middlewares import retry_after_seconds
from pingan_crawler.parsing.challenge import detect_challenge, is_challenge_url
from pingan_crawler.parsing.sniff import binary_type, page_refusal, soft_404_reason
from pingan_crawler.sites import load_profile

HOSTILE = FIXTURES / "hostile"
ROUTES = load_manifest(HOSTILE)["routes"]


def served(path: str) -> tuple[int, dict, bytes]:
    route = ROUTES[path]
    body = (HOSTILE / route["file"]).read_bytes() if "file" in route else b""
    return route["status"], route["headers"], body


@pytest.mark.parametrize(
    ("path", "vendor"),
    [
        ("/challenge/ruishu", "ruishu"),
        ("/challenge/jiasule", "jiasule"),
        ("/challenge/yunsuo", "yunsuo"),
        ("/challenge/yunsuo_redirect", "yunsuo"),
        ("/challenge/cloudflare", "cloudflare"),
        ("/challenge/waf", "waf"),
    ],
)
def test_challenge_pages_are_named_by_vendor(path, vendor):
    assert detect_challenge(*served(path)) == vendor


def test_ruishu_body_is_recognised_without_its_cookie_or_412():
    _status, _headers, body = served("/challenge/ruishu")
    assert detect_challenge(202, {"Content-Type": "text/html"}, body) == "ruishu"


def test_jiasule_521_by_cookie_alone():
    headers = {"Set-Cookie": ["__jsluid_s=0a1b2c; path=/"]}
    assert detect_challenge(521, headers, b"<script>var x=1;</script>") == "jiasule"


def test_aliyun_acw_challenge():
    body = b"<html><script>var arg1='3D6A0E1F2B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E';</script></html>"
    assert detect_challenge(200, {}, body) == "aliyun"


def test_yunsuo_verification_url():
    assert is_challenge_url("http://x.gov.cn/a.html?security_verify_data=313932302c31303830")
    assert is_challenge_url("http://x.gov.cn/a.html?id=3") is None


def test_ordinary_pages_are_not_challenges():
    for path, route in load_manifest(PASXW)["routes"].items():
        body = (PASXW / route["file"]).read_bytes()
        assert detect_challenge(route["status"], route["headers"], body) is None, path
    for name in ("good_1", "gone", "shell", "all_nav", "huge"):
        status, headers, body = served(f"/news/{name}.html")
        assert detect_challenge(status, headers, body) is None, name


def test_plain_errors_are_not_challenges():
    body = b"<html><head><title>404</title></head><body><h1>HTTP 404</h1></body></html>"
    assert detect_challenge(404, {"Content-Type": "text/html"}, body) is None
    assert detect_challenge(403, {}, b"<html><title>403 Forbidden</title></html>") is None
    assert detect_challenge(500, {}, b"") is None
    # an article that reports on a WAF is long and a 200: not a block
    story = ("<p>" + "网站防火墙拦截了大量攻击，" * 300 + "</p>").encode()
    assert detect_challenge(200, {}, "<title>网络安全周</title>".encode() + story) is None


def test_real_pages_are_not_challenges(realpages):
    pages = [p for p in realpages.rglob("*") if p.is_file() and p.suffix in (".html", ".htm")]
    assert pages
    for page in pages:
        assert detect_challenge(200, {"Content-Type": "text/html"}, page.read_bytes()) is None, page
        assert binary_type(page.read_bytes()) is None, page


def test_binary_files_are_recognised():
    assert binary_type(served("/news/image.html")[2]) == "PNG image"
    assert binary_type(served("/news/report.html")[2]) == "PDF document"
    assert binary_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100).startswith("MS Office")
    assert binary_type(served("/news/good_1.html")[2]) is None


def test_soft_404_stub_is_recognised():
    _status, headers, body = served("/news/gone.html")
    reason = soft_404_reason(body, headers["Content-Type"])
    assert reason and "'/'" in reason and "页面不存在" in reason
    titled = "<html><title>404 页面未找到</title><body>抱歉</body></html>".encode()
    assert "titled" in soft_404_reason(titled)


def test_articles_are_not_soft_404s():
    expected = {
        e["url"]
        for e in (json.loads(p.read_text("utf-8")) for p in (PASXW / "expected").glob("*.json"))
    }
    assert expected
    for path, route in load_manifest(PASXW)["routes"].items():
        if path.startswith("/index.asp?bh="):
            body = (PASXW / route["file"]).read_bytes()
            assert soft_404_reason(body, route["headers"]["Content-Type"]) is None, path
    # an article page with a short body that scripts a share button is still an article
    for name in ("good_1", "date_zero", "views_abc"):
        _status, headers, body = served(f"/news/{name}.html")
        assert soft_404_reason(body, headers["Content-Type"]) is None, name


def test_retry_after_seconds_and_dates():
    now = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Mon, 30 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Mon, 30 Nov 2026 11:00:00 GMT", now) == 0.0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_redirect_ends_an_article_only_off_the_article_urls():
    profile = load_profile("pasxw")
    home, ctype = page_bytes("/")
    kind, detail = page_refusal(
        home, "http://pasxw.com/", ctype, profile, "http://pasxw.com/index.asp?bh=1"
    )
    assert kind == "soft_404" and "redirected to http://pasxw.com/" in detail
    article, ctype = page_bytes("/index.asp?bh=2020128154217922")
    moved = "http://pasxw.com/index.asp?bh=2020128154217922"
    assert page_refusal(article, moved, ctype, profile, "http://pasxw.com/index.asp?bh=1") is None
