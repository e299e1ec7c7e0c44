"""The Hanweb and PHPCMS fixture sites are consistent: what the expected JSON promises is served.

These check the fixtures themselves (routes, bytes, charsets, paging reachability) with plain
regexes, not with the project's parsers, so a parser bug cannot hide a fixture bug or vice versa.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from html import escape
from pathlib import Path

import pytest

from pingan_crawler.fixtureserver import FixtureServer, form_key

FIXTURES = Path(__file__).parent / "fixtures"
HANWEB = FIXTURES / "hanweb"
PHPCMS = FIXTURES / "phpcms"
DECLARED = {"hanweb": "utf-8", "phpcms": "gbk"}
PROXY = "/module/web/jpage/dataproxy.jsp"
COUNTER_VALUE = {  # Hanweb visit.jsp: document.write in a tiny page; PHPCMS: the #hits line only
    "hanweb": r"document\.write\('(\d+)'\)",
    "phpcms": r"\$\('#hits'\)\.html\('(\d+)'\)",
}


def manifest(site: Path) -> dict:
    return json.loads((site / "routes.json").read_text("utf-8"))


def expected(site: Path) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((site / "expected").glob("*.json"))]


def all_routes(site: Path) -> dict[str, dict]:
    """GET routes and every POST form route, keyed by a readable name."""
    flat = {}
    for key, route in manifest(site)["routes"].items():
        if key.startswith("POST "):
            flat.update({f"{key} [{form}]": r for form, r in route["forms"].items()})
        else:
            flat[key] = route
    return flat


def served_text(site: Path, path: str) -> str:
    route = manifest(site)["routes"][path]
    return (site / route["file"]).read_bytes().decode(DECLARED[site.name])


@pytest.mark.parametrize("site", [HANWEB, PHPCMS], ids=["hanweb", "phpcms"])
def test_every_route_file_exists_and_decodes_under_the_declared_charset(site: Path):
    routes = all_routes(site)
    assert len(routes) > 50
    for name, route in routes.items():
        data = (site / route["file"]).read_bytes()
        assert data, name
        data.decode(DECLARED[site.name])  # strict: raises on a single bad byte
        assert route["headers"]["Content-Type"], name
        if route["file"].endswith(".html") and "<html" in data.decode(DECLARED[site.name]):
            assert f"charset={DECLARED[site.name]}" in data.decode(DECLARED[site.name]).lower()


@pytest.mark.parametrize("site", [HANWEB, PHPCMS], ids=["hanweb", "phpcms"])
def test_expected_articles_are_served_with_their_text_counter_and_sections(site: Path):
    routes = manifest(site)["routes"]
    articles = expected(site)
    assert len(articles) >= 20
    assert len({a["section"] for a in articles}) == 3
    for art in articles:
        assert art["url"] == manifest(site)["base_url"] + art["path"]
        assert art["pages"][0] == art["path"]
        pages = [served_text(site, p) for p in art["pages"]]
        assert all(p in routes for p in art["pages"]), art["path"]
        joined = "".join(pages)
        for para in art["body"].split("\n"):
            assert escape(para, quote=False) in joined, (art["path"], para)
        assert all(escape(art["title"]) in page for page in pages)
        assert f"{art['editor']}" in pages[-1]
        for image in art["images"]:
            assert image.removeprefix(manifest(site)["base_url"]) in joined
        counter = served_text(site, art["counter_path"])
        assert art["view_count_source"] == "counter"
        number = re.findall(COUNTER_VALUE[site.name], counter)
        assert number == [str(art["view_count"])], art["counter_path"]


def test_phpcms_has_multipage_articles_and_lying_headers_on_gbk_bytes():
    articles = expected(PHPCMS)
    assert sum(len(a["pages"]) > 1 for a in articles) >= 2
    lying = manifest(PHPCMS)["lying_header_paths"]
    assert any(p.startswith("/list-") for p in lying) and any(p.startswith("/show-") for p in lying)
    for path in lying:
        route = manifest(PHPCMS)["routes"][path]
        assert "charset=utf-8" in route["headers"]["Content-Type"]
        with pytest.raises(UnicodeDecodeError):
            (PHPCMS / route["file"]).read_bytes().decode("utf-8")


def test_phpcms_list_pages_reach_every_article_once():
    routes = manifest(PHPCMS)["routes"]
    linked = []
    for path in routes:
        if re.fullmatch(r"/list-\d+-\d+\.html", path):
            rows = re.findall(
                r'<li>.*?<a href="(/show-\d+-\d+-1\.html)"', served_text(PHPCMS, path)
            )
            linked.extend(rows)
    assert sorted(linked) == sorted(a["path"] for a in expected(PHPCMS))


def hanweb_records(xml: str) -> list[str]:
    return re.findall(r"<record><!\[CDATA\[\s*<li><a href='([^']+)'", xml)


def test_hanweb_embedded_and_dataproxy_records_reach_every_article_once():
    routes = manifest(HANWEB)["routes"]
    linked = []
    for path in routes:
        if re.fullmatch(r"/col/col\d+/index\.html", path):
            page = served_text(HANWEB, path)
            linked.extend(hanweb_records(page))
            params = dict(
                re.findall(r"(\w+):'?([^,'}]+)'?", re.search(r"ajaxParam:\{(.*?)\}", page)[1])
            )
            key = form_key(urllib.parse.urlencode(params))
            windows = [k for k in routes if k.startswith(f"POST {PROXY}?startrecord=")]
            for window in windows:
                if not window.startswith(f"POST {PROXY}?startrecord=1&"):  # page 1 is embedded
                    reply = (HANWEB / routes[window]["forms"][key]["file"]).read_text("utf-8")
                    linked.extend(hanweb_records(reply))
    assert sorted(linked) == sorted(a["path"] for a in expected(HANWEB))
    for art in expected(HANWEB):  # month and day unpadded, the date is the publish date
        y, m, d = art["publish_time"][:10].split("-")
        assert art["path"].startswith(f"/art/{int(y)}/{int(m)}/{int(d)}/art_")


def test_hanweb_dataproxy_answers_a_real_post_over_the_fixture_server():
    form = {
        "webname": "平安衢州网",
        "unitid": "317002",
        "columnid": "60097",
        "col": "1",
        "appid": "1",
        "webid": "12",
        "path": "/",
        "sourceContentType": "1",
        "permissiontype": "0",
    }
    body = urllib.parse.urlencode(form).encode()
    with FixtureServer(HANWEB) as server:
        url = f"{server.base_url}{PROXY}?startrecord=4&endrecord=6&perpage=3"
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as resp:
            xml = resp.read().decode("utf-8")
            assert resp.headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert "<totalrecord>8</totalrecord>" in xml and "<totalpage>3</totalpage>" in xml
    assert len(hanweb_records(xml)) == 3
    assert all("/art_60097_" in path for path in hanweb_records(xml))
