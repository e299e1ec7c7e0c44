"""The TRS and DedeCMS sample sites are self-consistent: what build.py wrote is what tests need.

These tests read only the committed files (routes.json, site/, expected/), so a broken build or a
hand edit shows up here before it shows up as a puzzling crawl or parser failure.
"""

from __future__ import annotations

import re
import urllib.request
from html import escape
from pathlib import Path

import pytest
from conftest import FIXTURES, expected_articles, load_manifest

from pingan_crawler.fixtureserver import FixtureServer

SITES = ["trs", "dedecms"]
PASXW_KEYS = set(expected_articles()[0])
META_CHARSET = re.compile(rb"<meta[^>]+charset=([\w-]+)", re.I)
WIDEN = {"gb2312": "gb18030", "gbk": "gb18030"}


def site_dir(site: str) -> Path:
    return FIXTURES / site


def declared_charset(route: dict, body: bytes) -> str:
    """Header charset, else the meta one, widened as browsers and w3lib do."""
    header = re.search(r"charset=([\w-]+)", route["headers"].get("Content-Type", ""), re.I)
    meta = META_CHARSET.search(body[:2048])
    name = header.group(1) if header else None
    if name is None and meta:
        name = meta.group(1).decode("ascii")
    name = (name or "utf-8").lower()
    return WIDEN.get(name, name)


@pytest.mark.parametrize("site", SITES)
def test_every_route_points_at_an_existing_file(site):
    routes = load_manifest(site_dir(site))["routes"]
    missing = [p for p, r in routes.items() if not (site_dir(site) / r["file"]).is_file()]
    assert not missing, f"{site}: routes.json names files that build.py did not write: {missing}"


@pytest.mark.parametrize("site", SITES)
def test_site_is_big_enough_and_expected_json_has_every_key(site):
    manifest = load_manifest(site_dir(site))
    expected = expected_articles(site_dir(site))
    assert len(expected) >= 20
    assert len(manifest["sections"]) == 3
    assert {e["section"] for e in expected} == {s["name"] for s in manifest["sections"]}
    for art in expected:
        assert PASXW_KEYS | {"pages", "view_count_source", "counter_path"} == set(art), art["path"]
        assert art["url"] == manifest["base_url"] + art["path"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", art["publish_time"])
        assert all(img.startswith(manifest["base_url"] + "/") for img in art["images"])


@pytest.mark.parametrize("site", SITES)
def test_every_expected_page_and_counter_is_routed(site):
    routes = load_manifest(site_dir(site))["routes"]
    for art in expected_articles(site_dir(site)):
        assert art["pages"][0] == art["path"]
        for path in art["pages"] + [art["counter_path"]] * bool(art["counter_path"]):
            assert path in routes, f"{site}: {art['path']} needs {path} in routes.json"


@pytest.mark.parametrize("site", SITES)
def test_every_html_page_decodes_strictly_under_its_declared_charset(site):
    routes = load_manifest(site_dir(site))["routes"]
    for path, route in routes.items():
        body = (site_dir(site) / route["file"]).read_bytes()
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
        codec = declared_charset(route, body)
        try:
            body.decode(codec)
        except UnicodeDecodeError as error:
            pytest.fail(f"{site}{path}: not valid {codec}: {error}")


def test_gbk_only_articles_really_break_strict_gb2312():
    manifest = load_manifest(site_dir("dedecms"))
    assert len(manifest["gbk_only_articles"]) >= 3
    for path in manifest["gbk_only_articles"]:
        body = (site_dir("dedecms") / manifest["routes"][path]["file"]).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            body.decode("gb2312")


def test_trs_has_exactly_one_bom_page_and_it_is_an_article():
    manifest = load_manifest(site_dir("trs"))
    with_bom = [
        path
        for path, route in manifest["routes"].items()
        if (site_dir("trs") / route["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
    ]
    assert with_bom == [manifest["traps"]["bom_article"]]


def page_text(site: str, path: str) -> str:
    route = load_manifest(site_dir(site))["routes"][path]
    body = (site_dir(site) / route["file"]).read_bytes().removeprefix(b"\xef\xbb\xbf")
    return body.decode(declared_charset(route, body))


@pytest.mark.parametrize("site", SITES)
def test_expected_text_is_on_the_pages(site):
    """Title, every body paragraph, editor and source are in the article's own pages."""
    for art in expected_articles(site_dir(site)):
        html = "".join(page_text(site, p) for p in art["pages"])
        assert escape(art["title"], quote=False) in html
        for para in art["body"].split("\n"):
            assert escape(para, quote=False) in html, f"{site}{art['path']}: {para[:20]}"
        assert f"责任编辑：{art['editor']}" in html
        if art["source"]:
            assert escape(art["source"], quote=False) in html
        for img in art["images"]:
            name = img.rsplit("/", 1)[1]
            assert name in html


def test_dedecms_counter_answers_the_expected_view_count():
    routes = load_manifest(site_dir("dedecms"))["routes"]
    for art in expected_articles(site_dir("dedecms")):
        script = (site_dir("dedecms") / routes[art["counter_path"]]["file"]).read_bytes()
        assert script == f"document.write('{art['view_count']}');\r\n".encode()
        for path in art["pages"]:
            assert f'<script src="{art["counter_path"]}"' in page_text("dedecms", path)


def walk_trs_section(list_path: str) -> tuple[set[str], int]:
    """Follow createPageHTML's 0-based index_N pages; return article paths and page count."""
    folder = list_path.rsplit("/", 1)[0]
    found: set[str] = set()
    html = page_text("trs", list_path)
    count, _current, name, ext = re.search(
        r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', html
    ).groups()
    for n in range(int(count)):
        page = f"{folder}/{name}.{ext}" if n == 0 else f"{folder}/{name}_{n}.{ext}"
        for href in re.findall(r'<li><a href="\./([^"]+)"', page_text("trs", page)):
            found.add(f"{folder}/{href}")
    return found, int(count)


def test_trs_lists_reach_every_article_and_end_in_a_stub():
    manifest = load_manifest(site_dir("trs"))
    expected = expected_articles(site_dir("trs"))
    for section in manifest["sections"]:
        found, count = walk_trs_section(section["list"])
        assert found == {e["path"] for e in expected if e["section"] == section["name"]}
        stub = section["list"].replace("index.shtml", f"index_{count}.shtml")
        stub_bytes = (site_dir("trs") / manifest["routes"][stub]["file"]).read_bytes()
        assert len(stub_bytes) < 400 and b"<a " not in stub_bytes
        pager = page_text("trs", section["list"]).split('class="page"')[1].split("</div>")[0]
        assert "<a " not in pager  # the next page exists only in createPageHTML's arguments


def test_dedecms_lists_reach_every_article_through_the_pager():
    manifest = load_manifest(site_dir("dedecms"))
    expected = expected_articles(site_dir("dedecms"))
    for section in manifest["sections"]:
        folder = section["list"].rsplit("/", 1)[0]
        seen_pages, found, todo = set(), set(), [section["list"]]
        while todo:
            page = todo.pop()
            seen_pages.add(page)
            html = page_text("dedecms", page)
            found |= set(re.findall(r'<a href="([^"]+)" class="title"', html))
            for href in re.findall(r"<li><a href='(list_\d+_\d+\.html)'>下一页</a>", html):
                if f"{folder}/{href}" not in seen_pages:
                    todo.append(f"{folder}/{href}")
        assert len(seen_pages) == section["pages"]
        assert found == {e["path"] for e in expected if e["section"] == section["name"]}
    multi = [e for e in expected if len(e["pages"]) > 1]
    assert len(multi) >= 2 and max(len(e["pages"]) for e in multi) >= 3


@pytest.mark.parametrize(
    ("site", "path"),
    [("trs", "/padt/index_3.shtml"), ("dedecms", "/plus/count.php?view=yes&aid=101&mid=1")],
)
def test_served_byte_exact_with_recorded_content_type(site, path):
    route = load_manifest(site_dir(site))["routes"][path]
    with (
        FixtureServer(site_dir(site)) as server,
        urllib.request.urlopen(server.base_url + path, timeout=10) as response,
    ):
        assert response.read() == (site_dir(site) / route["file"]).read_bytes()
        assert response.headers["Content-Type"] == route["headers"]["Content-Type"]
