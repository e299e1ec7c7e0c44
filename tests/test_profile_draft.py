"""`pingan profile draft` + `pingan profile check` on every sample site, end to end.

For each family's sample site (pasxw custom ASP, TRS, DedeCMS, Hanweb, PHPCMS) and for
tests/fixtures/unknown/linjiang (a layout no fingerprint knows), served on 127.0.0.1: a profile
is drafted from the homepage while profile lookup points at an empty directory and any TOML
read fails the test (the drafter knows fingerprints and pages, never the site's own profile or
a family base); then, with the bases back, the draft validates, `profile check` passes, and a
crawl with it archives every article of the site with the expected fields. Request counts are
bounded.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import PINGAN, expected_articles, load_manifest, query, site_dir

from pingan_crawler.fixtureserver import FixtureServer
from pingan_crawler.sites import loader

SITES = ["pasxw", "trs", "dedecms", "hanweb", "phpcms", "unknown/linjiang"]
# Out of tests/fixtures/*: it is made to need a profile, so the generic extractor's tests
# and benchmarks (which walk tests/fixtures/*/) leave it alone.
CUSTOM = "unknown/linjiang"
FAMILY = {
    "pasxw": "custom-asp",
    "trs": "trs",
    "dedecms": "dedecms",
    "hanweb": "hanweb",
    "phpcms": "phpcms",
    CUSTOM: None,
}
DRAFT_BUDGET, CHECK_BUDGET = 60, 60
FIELDS = ["title", "published_at", "section", "source", "editor", "author", "charset", "body"]
EXPECTED_KEY = {"published_at": "publish_time"}
REPO = Path(__file__).parent.parent


def pingan(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PINGAN, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def draft_blind(url: str, name: str, tmp: Path):
    """Draft with no profile or family base reachable, and fail on any TOML read."""
    from pingan_crawler.sites.draft import draft_profile
    from pingan_crawler.sites.fetch import PoliteFetcher

    empty = tmp / "no-profiles"
    empty.mkdir()
    reads: list = []
    real_load, real_loads = tomllib.load, tomllib.loads
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(loader, "PROFILE_DIR", empty)
        mp.setattr(loader, "FAMILY_DIR", empty)
        mp.setenv("PINGAN_SITES_PATH", str(empty))
        mp.setattr(tomllib, "load", lambda *a, **k: reads.append(a) or real_load(*a, **k))
        mp.setattr(tomllib, "loads", lambda *a, **k: reads.append(a) or real_loads(*a, **k))
        loader._load_file.cache_clear()
        assert loader.profile_names() == [] and loader.family_names() == []
        draft = draft_profile(url, PoliteFetcher(budget=DRAFT_BUDGET, progress=False), name=name)
    loader._load_file.cache_clear()
    assert reads == [], "the drafter read a TOML file"
    return draft


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``runs(site)``: the site drafted, checked and crawled once (shared by the tests)."""
    done: dict[str, dict] = {}
    stack = ExitStack()

    def get(site: str) -> dict:
        if site in done:
            return done[site]
        tmp = tmp_path_factory.mktemp(f"draft-{site.replace('/', '-')}")
        server = stack.enter_context(FixtureServer(site_dir(site)))
        draft = draft_blind(server.base_url + "/", site.rsplit("/", 1)[-1], tmp)
        drafted = len(server.requests)
        profile = tmp / f"{site.rsplit('/', 1)[-1]}.toml"
        profile.write_text(draft.toml, "utf-8")
        validated = loader.check_profile(loader.load_profile_file(profile))  # as sites --check
        check = pingan("profile", "check", str(profile))
        checked = len(server.requests) - drafted
        db = tmp / "crawl.db"
        # --base-url: the same server, said explicitly so the crawl lifts its delays.
        crawl = pingan("crawl", str(profile), "--db", str(db), "--base-url", server.base_url)
        done[site] = {
            "server": server,
            "draft": draft,
            "draft_requests": drafted,
            "profile": profile,
            "validated": validated,
            "check": check,
            "check_requests": checked,
            "crawl": crawl,
            "db": db,
            "tmp": tmp,
        }
        return done[site]

    yield get
    stack.close()


@pytest.fixture(params=SITES)
def run(request, runs):
    return request.param, runs(request.param)


def test_draft_reads_no_profile_and_stays_within_its_request_budget(run):
    _, r = run
    assert r["draft"].requests == r["draft_requests"] <= DRAFT_BUDGET
    assert r["check_requests"] <= CHECK_BUDGET
    assert r["draft_requests"] + r["check_requests"] <= 120
    fetched = [path for _, path in r["server"].requests]
    assert fetched[0] == "/robots.txt"  # asked first, before any page


def test_drafted_profile_validates_and_extends_the_family_it_recognised(run):
    site, r = run
    assert len(r["validated"]) == len(r["draft"].profile.sections)  # a list URL per section
    data = tomllib.loads(r["profile"].read_text("utf-8"))
    assert data.get("extends") == FAMILY[site]
    assert data["views"]["fetch_counter"] is False
    if FAMILY[site] is None:
        assert data["family"] == "unknown"


def test_profile_check_of_the_draft_passes(run):
    site, r = run
    check = r["check"]
    assert check.returncode == 0, check.stdout + check.stderr
    assert "PASS" in check.stdout
    for name in {s["name"] for s in load_manifest(site_dir(site)).get("sections", [])}:
        assert name in check.stdout  # every section reported


def test_crawl_with_the_draft_archives_every_article_with_its_expected_fields(run):
    site, r = run
    crawl = r["crawl"]
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    db = r["db"]
    columns = ", ".join(FIELDS)
    rows = query(db, f"SELECT url, images, pages, view_count, {columns} FROM articles")
    stored = {path_of(row[0]): row for row in rows}
    known = {path_of(url) for (url,) in query(db, "SELECT url FROM article_urls")}
    expected = expected_articles(site_dir(site))
    assert {e["path"] for e in expected} <= known  # every article (reposts as more URLs)
    assert set(stored) <= {e["path"] for e in expected}  # and nothing else
    compared = 0
    for want in expected:
        row = stored.get(want["path"])
        if row is None:
            continue  # a repost merged into its original
        _, images, pages, views, *values = row
        for field, value in zip(FIELDS, values, strict=True):
            assert value == want[EXPECTED_KEY.get(field, field)], f"{want['path']}: {field}"
        assert [path_of(u) for u in json.loads(images)] == [path_of(u) for u in want["images"]]
        assert pages == len(want.get("pages", [want["path"]])), want["path"]
        if want.get("view_count_source") != "counter":
            assert views == want["view_count"], want["path"]
        else:
            assert views is None  # counters are never fetched by a draft as written
        compared += 1
    assert compared >= len(expected) - 1


def test_phpcms_draft_knows_its_counter_replies_jquery_style(runs):
    views = tomllib.loads(runs("phpcms")["profile"].read_text("utf-8"))["views"]
    assert (views["mode"], views["counter"]) == ("jq_html", r"api\.php\?op=count")


@pytest.mark.parametrize("site", ["dedecms", "hanweb"])  # a counter <script>, an <iframe>
def test_counter_mode_of_the_draft_reads_the_counts_once_opted_in(site, runs, tmp_path):
    r = runs(site)
    text = r["profile"].read_text("utf-8").replace("fetch_counter = false", "fetch_counter = true")
    profile = tmp_path / "counted.toml"
    profile.write_text(text, "utf-8")
    db = tmp_path / "counted.db"
    base = r["server"].base_url
    crawl = pingan("crawl", str(profile), "--db", str(db), "--base-url", base)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    counts = {path_of(u): v for u, v in query(db, "SELECT url, view_count FROM articles")}
    for want in expected_articles(site_dir(site)):
        if want["view_count_source"] == "counter":
            assert counts[want["path"]] == want["view_count"], want["path"]


def test_custom_site_selectors_beat_the_generic_extractor_where_it_fails(runs):
    """The unknown layout hides the headline from <title> and the editor in a 'foot' block:
    the draft pins those, and leaves what the generic extractor gets right alone."""
    r = runs(CUSTOM)
    selectors = tomllib.loads(r["profile"].read_text("utf-8"))["selectors"]
    assert selectors["title"]  # <title> says only 平安临江网--内容页
    assert any("foot" in s for s in selectors["meta"])  # 责任编辑 in div.art-foot
    assert selectors["breadcrumb"]
    assert not selectors.get("published")  # the generic extractor reads it right
    report = "\n".join(r["draft"].report)
    assert "通知公告" in report  # found only behind a homepage 更多 link
    assert "机构设置" in report and "left out" in report


def test_family_drafts_leave_every_field_to_the_generic_extractor_it_gets_right(runs):
    r = runs("trs")
    selectors = tomllib.loads(r["profile"].read_text("utf-8"))["selectors"]
    # Every key is written, so nothing of the family's stock template is assumed.
    assert {"title", "body", "meta", "published", "source", "editor", "remove"} <= set(selectors)
    assert selectors["title"] == selectors["body"] == ""
    assert selectors["breadcrumb"]  # the generic extractor has no section: a breadcrumb wins


def test_draft_of_one_section_list_page_drafts_that_section(tmp_path):
    with FixtureServer(site_dir("phpcms")) as server:
        draft = draft_blind(server.base_url + "/list-7-1.html", "one", tmp_path)
    assert [s.name for s in draft.profile.sections] == ["扫黑除恶"]
    assert draft.profile.list_page_url(draft.profile.sections[0], 2).endswith("/list-7-2.html")


def test_homepage_redirect_to_another_host_spelling_becomes_the_base(tmp_path):
    """x.gov.cn → www.x.gov.cn: the nav links the host the site redirects to."""
    with FixtureServer(site_dir("pasxw")) as server:
        port = server.base_url.rsplit(":", 1)[1]
        server.routes["/"] = {
            "status": 302,
            "headers": {"Location": f"{server.base_url}/index.asp"},
        }
        draft = draft_blind(f"http://localhost:{port}/", "moved", tmp_path)
    assert draft.profile.base_url == server.base_url
    assert len(draft.profile.sections) == 8


def test_a_portal_front_page_off_the_root_is_drafted_as_a_homepage(tmp_path):
    with FixtureServer(site_dir("trs")) as server:
        server.serve_as("/portal/index.shtml", "/index.shtml")
        draft = draft_blind(server.base_url + "/portal/index.shtml", "portal", tmp_path)
    assert [s.name for s in draft.profile.sections] == ["平安动态", "政法要闻", "基层治理"]


def test_the_unknown_cms_sample_site_serves_every_page_its_expected_json_names():
    site = site_dir(CUSTOM)
    manifest = load_manifest(site)
    for route in manifest["routes"].values():
        assert (site / route["file"]).is_file()
    for article in expected_articles(site):
        assert all(page in manifest["routes"] for page in article["pages"]), article["path"]
    assert {s["name"] for s in manifest["sections"]} == {
        e["section"] for e in expected_articles(site)
    }


def test_a_pager_that_links_no_next_page_is_reported(tmp_path):
    """A script pager ("共3页" and javascript: links): the draft cannot follow it, and says so."""
    with FixtureServer(site_dir("phpcms")) as server:
        for catid in (6, 7, 8):
            route = server.routes[f"/list-{catid}-1.html"]
            path = tmp_path / f"list-{catid}.html"
            text = (site_dir("phpcms") / route["file"]).read_bytes()
            text = text.replace(f'href="/list-{catid}-2.html"'.encode(), b'href="javascript:go(2)"')
            text = text.replace(b"8\xcc\xf5</a>", "共3页</a>".encode("gbk"))
            path.write_bytes(text)
            server.routes[f"/list-{catid}-1.html"] = {**route, "file": str(path)}
        draft = draft_blind(server.base_url + "/", "scripted", tmp_path)
    report = "\n".join(draft.report)
    assert "links no next page (a script pager?)" in report
