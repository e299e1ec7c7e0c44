"""The fixture server: GET routes byte for byte, POST routes chosen by their form fields."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pingan_crawler.fixtureserver import FixtureServer, form_key

PAGE = "<html><body>第1页</body></html>".encode("gbk")
XML = '<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>2</totalrecord></datastore>'


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_bytes(PAGE)
    (tmp_path / "proxy.xml").write_bytes(XML.encode("utf-8"))
    form = form_key("webid=3&columnid=60096&webname=平安浙江")
    routes = {
        "/list.html?a=1": {"file": "page.html", "headers": {"Content-Type": "text/html"}},
        "POST /module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15": {
            "forms": {form: {"file": "proxy.xml", "headers": {"Content-Type": "text/xml"}}}
        },
    }
    (tmp_path / "routes.json").write_text(json.dumps({"routes": routes}), "utf-8")
    return tmp_path


def fetch(url: str, data: bytes | None = None) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("Content-Type", "")


def test_form_key_ignores_field_order_and_encoding_style():
    assert form_key("b=2&a=1") == form_key("a=1&b=2") == "a=1&b=2"
    assert form_key("webname=%E5%B9%B3%E5%AE%89&x=") == form_key("x=&webname=平安")


def test_get_serves_bytes_and_headers_and_logs(site: Path):
    with FixtureServer(site) as server:
        assert fetch(server.base_url + "/list.html?a=1") == (200, PAGE, "text/html")
        assert fetch(server.base_url + "/list.html")[0] == 404
        assert server.requests == [("GET", "/list.html?a=1"), ("GET", "/list.html")]


def test_post_answers_the_listed_form_in_any_field_order(site: Path):
    path = "/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15"
    body = b"webname=%E5%B9%B3%E5%AE%89%E6%B5%99%E6%B1%9F&columnid=60096&webid=3"
    with FixtureServer(site) as server:
        status, data, ctype = fetch(server.base_url + path, body)
        assert (status, data.decode("utf-8"), ctype) == (200, XML, "text/xml")
        assert server.requests == [("POST", path)]


def test_post_with_unknown_form_or_path_is_404(site: Path):
    path = "/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15"
    with FixtureServer(site) as server:
        assert fetch(server.base_url + path, b"webid=3&columnid=99999&webname=x")[0] == 404
        assert fetch(server.base_url + "/list.html?a=1", b"a=1")[0] == 404  # GET route only
        other = path.replace("startrecord=16", "startrecord=31")
        assert fetch(server.base_url + other, b"webid=3&columnid=60096")[0] == 404
        assert [m for m, _ in server.requests] == ["POST"] * 3
