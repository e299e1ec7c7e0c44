"""`pingan profile draft|check` on bad input: one line naming the URL or file, no traceback,
an exit code per kind; and the `[checked]` record that `check --write` leaves."""

from __future__ import annotations

import json
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import PINGAN, site_dir

from pingan_crawler.fixtureserver import FixtureServer
from pingan_crawler.sites import ProfileError, load_profile_file

REPO = Path(__file__).parent.parent


def pingan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [*PINGAN, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def tiny_site(tmp_path: Path, routes: dict[str, tuple[int, str, bytes]]) -> Path:
    """A fixture folder: path → (status, content type, body)."""
    (tmp_path / "site").mkdir()
    manifest = {"routes": {}}
    for i, (path, (status, ctype, body)) in enumerate(routes.items()):
        (tmp_path / "site" / f"f{i}").write_bytes(body)
        manifest["routes"][path] = {
            "file": f"site/f{i}",
            "status": status,
            "headers": {"Content-Type": ctype},
        }
    (tmp_path / "routes.json").write_text(json.dumps(manifest), "utf-8")
    return tmp_path


def test_unreachable_url_exits_6_with_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = pingan("profile", "draft", f"http://127.0.0.1:{port}/")
    assert result.returncode == 6
    one_line_error(result, f"127.0.0.1:{port}", "cannot connect")


def test_homepage_that_is_no_html_page_exits_7():
    with FixtureServer(site_dir("hostile")) as server:
        result = pingan("profile", "draft", server.base_url + "/news/image.html")
    assert result.returncode == 7
    one_line_error(result, "/news/image.html", "not an HTML page", "PNG")


@pytest.mark.parametrize("vendor", ["ruishu", "jiasule", "waf"])
def test_challenge_page_exits_3_and_names_the_vendor(vendor):
    with FixtureServer(site_dir("hostile")) as server:
        result = pingan("profile", "draft", f"{server.base_url}/challenge/{vendor}")
        fetched = [path for _, path in server.requests]
    assert result.returncode == 3
    one_line_error(result, vendor, "challenge")
    assert fetched == ["/robots.txt", f"/challenge/{vendor}"]  # stopped at once, no retry


def test_site_with_no_recognisable_sections_exits_8(tmp_path):
    page = "<html><head><title>建设中</title></head><body><p>网站正在建设中。</p></body></html>"
    site = tiny_site(tmp_path, {"/": (200, "text/html; charset=utf-8", page.encode())})
    with FixtureServer(site) as server:
        result = pingan("profile", "draft", server.base_url + "/")
    assert result.returncode == 8
    one_line_error(result, server.base_url, "no section links")


def test_robots_txt_that_forbids_everything_is_obeyed(tmp_path):
    site = tiny_site(
        tmp_path,
        {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /\n"),
            "/": (200, "text/html", b"<html><body><a href='/a/'>x</a></body></html>"),
        },
    )
    with FixtureServer(site) as server:
        result = pingan("profile", "draft", server.base_url + "/")
        fetched = [path for _, path in server.requests]
    assert result.returncode == 6
    one_line_error(result, "robots.txt")
    assert fetched == ["/robots.txt"]


def test_bad_url_and_bad_profile_are_usage_errors(tmp_path):
    result = pingan("profile", "draft", "ftp://example.org/")
    assert result.returncode == 2
    one_line_error(result, "ftp://example.org/", "not an http(s) URL")
    result = pingan("profile", "check", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    one_line_error(result, "missing.toml")


def test_check_of_a_profile_whose_lists_are_gone_fails_per_section(tmp_path):
    """The profile's list URLs 404 (the site was redesigned): exit 1, the sections named."""
    profile = tmp_path / "stale.toml"
    profile.write_text(
        'name = "stale"\ntitle = "x"\nbase_url = "http://www.pa-jinhua.example.gov.cn"\n'
        "article_url = '/\\d{6}/t\\d{8}_\\d+\\.shtml$'\n"
        'list_url = "/old/{section}/list_{page}.html"\n'
        '[[sections]]\nid = "padt"\nname = "平安动态"\n',
        "utf-8",
    )
    with FixtureServer(site_dir("trs")) as server:
        result = pingan("profile", "check", str(profile), "--base-url", server.base_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout and "平安动态 lists no articles" in result.stdout
    assert "Traceback" not in result.stderr


def test_check_write_records_checked_and_pingan_sites_shows_it(tmp_path):
    profile = tmp_path / "pajinhua.toml"
    profile.write_text((REPO / "tests/profiles/pajinhua.toml").read_text("utf-8"), "utf-8")
    with FixtureServer(site_dir("trs")) as server:
        result = pingan("profile", "check", str(profile), "--base-url", server.base_url, "--write")
    assert result.returncode == 0, result.stdout + result.stderr
    data = tomllib.loads(profile.read_text("utf-8"))
    record = data["checked"]
    assert record["result"] == "pass" and record["sample"] == 3 and record["articles"] == 9
    assert record["requests"] <= 60 and "title 9/9" in record["summary"]
    loaded = load_profile_file(profile)
    assert loaded.checked and loaded.check.articles == 9
    listing = pingan("sites", env={"PINGAN_SITES_PATH": str(tmp_path)})
    line = next(x for x in listing.stdout.splitlines() if x.startswith("pajinhua\t"))
    assert line.endswith(f"checked live {record['date']}: pass (3 per section, 9 articles)")
    # A second --write replaces the table, it does not add one.
    with FixtureServer(site_dir("trs")) as server:
        again = pingan(
            "profile",
            "check",
            str(profile),
            "--base-url",
            server.base_url,
            "--write",
            "--sample",
            "1",
        )
    assert again.returncode == 0
    assert profile.read_text("utf-8").count("[checked]") == 1
    assert tomllib.loads(profile.read_text("utf-8"))["checked"]["sample"] == 1


@pytest.mark.parametrize(
    "table, message",
    [
        ('result = "maybe"\ndate = 2026-01-01', "checked.result"),
        ('result = "pass"', "needs a date"),
        ('result = "pass"\ndate = 2026-01-01\nsample = -1', "checked.sample"),
        ('result = "pass"\ndate = 2026-01-01\nwho = "me"', "unknown key"),
    ],
)
def test_a_bad_checked_table_is_a_profile_error_naming_the_key(tmp_path, table, message):
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "p"\ntitle = "p"\nbase_url = "http://x.cn"\narticle_url = "."\n'
        f'list_url = "/{{section}}/"\n[checked]\n{table}\n',
        "utf-8",
    )
    with pytest.raises(ProfileError, match=message):
        load_profile_file(path)
