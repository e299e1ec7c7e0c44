"""Recorded live checks run offline: every folder `pingan profile check --record DIR` wrote
under tests/fixtures/recorded/ is served as it was recorded and checked again with the same
bounds; the check must fetch only what was recorded, reach the same verdict and extract the
same fields. A live check of a real site becomes a regression test by moving its folder here.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, PINGAN, site_dir

from pingan_crawler.fixtureserver import FixtureServer, form_key

RECORDED = sorted(p.parent for p in (site_dir("recorded")).glob("*/routes.json"))
REPO = Path(__file__).parent.parent


def check(profile: Path, base_url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PINGAN, "profile", "check", str(profile), "--base-url", base_url, *extra],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={**os.environ, "PINGAN_SITES_PATH": ""},
    )


def expected_of(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text("utf-8")) for p in (folder / "expected").glob("*.json")}


def replay(folder: Path, tmp: Path) -> None:
    """Serve a recorded folder, check it again as recorded, compare what comes out."""
    manifest = json.loads((folder / "routes.json").read_text("utf-8"))
    recorded = manifest["recorded"]
    again = tmp / "again"
    with FixtureServer(folder) as server:
        result = check(
            folder / "profile.toml",
            server.base_url,
            "--sample", str(recorded["sample"]),
            "--max-pages", str(recorded["max_pages"]),
            "--max-requests", str(recorded["budget"]),
            "--record", str(again),
        )  # fmt: skip
        asked = list(server.requests)
    assert result.returncode == (0 if recorded["result"] == "pass" else 1), result.stdout
    routes = manifest["routes"]
    for method, path in asked:
        key = path if method == "GET" else f"POST {path}"
        assert key in routes, f"{folder.name}: the check asked for {method} {path}, not recorded"
    assert len(asked) == recorded["requests"]
    assert expected_of(again) == expected_of(folder)


@pytest.mark.parametrize("folder", RECORDED, ids=[f.name for f in RECORDED])
def test_recorded_check_replays_offline_with_the_same_fields(folder, tmp_path):
    replay(folder, tmp_path)


def test_there_is_a_recorded_fixture_to_run():
    assert RECORDED, "tests/fixtures/recorded/ holds at least one recorded check"


def test_recording_a_check_makes_a_fixture_folder_the_suite_can_replay(tmp_path):
    """--record on a sample run (DedeCMS: GBK bytes, multi-page articles) writes the bundled
    layout with the bytes exactly as served, and the replay passes on it."""
    folder = tmp_path / "pananhu"
    with FixtureServer(site_dir("dedecms")) as server:
        result = check(
            REPO / "tests/profiles/pananhu.toml",
            server.base_url,
            "--record", str(folder),
            "--sample", "8",
            "--max-pages", "3",
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((folder / "routes.json").read_text("utf-8"))
    assert manifest["site"] == "pananhu" and manifest["recorded"]["result"] == "pass"
    assert (folder / "profile.toml").read_text("utf-8") == (
        REPO / "tests/profiles/pananhu.toml"
    ).read_text("utf-8")
    source = json.loads((site_dir("dedecms") / "routes.json").read_text("utf-8"))["routes"]
    for key, route in manifest["routes"].items():
        served = site_dir("dedecms") / source[key]["file"]
        assert (folder / route["file"]).read_bytes() == served.read_bytes(), key
        assert route["headers"].get("Content-Type") == source[key]["headers"].get("Content-Type")
    expected = expected_of(folder)
    bundled = {
        e["url"]: e
        for e in (
            json.loads(p.read_text("utf-8")) for p in (FIXTURES / "dedecms/expected").glob("*.json")
        )
    }
    assert expected and all(
        e["title"] == bundled[e["url"]]["title"] and e["body"] == bundled[e["url"]]["body"]
        for e in expected.values()
    )
    assert any(e["pages"] > 1 for e in expected.values())  # a multi-page article, joined
    replay(folder, tmp_path / "replay")


def test_recording_keeps_post_forms_apart(tmp_path):
    """Hanweb pages its lists by POSTing one URL with each column's form: the recording keeps
    one route per form, so the replay serves each column its own records."""
    folder = tmp_path / "qzpeace"
    with FixtureServer(site_dir("hanweb")) as server:
        result = check(
            REPO / "tests/profiles/qzpeace.toml", server.base_url, "--record", str(folder)
        )
    assert result.returncode == 0, result.stdout + result.stderr
    routes = json.loads((folder / "routes.json").read_text("utf-8"))["routes"]
    posts = [key for key in routes if key.startswith("POST ")]
    assert posts
    forms = routes[posts[0]]["forms"]
    assert len(forms) == 3 and all(key == form_key(key) for key in forms)
    replay(folder, tmp_path / "replay")
