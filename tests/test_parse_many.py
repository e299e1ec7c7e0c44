"""`pingan parse FILE… --jsonl` and `pingan_crawler.extract()`: one parser, two doors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import FIXTURES, PINGAN, expected_articles, load_manifest

import pingan_crawler

PROFILES = Path(__file__).parent / "profiles"


def test_parse_jsonl_reads_many_pages_in_one_process(tmp_path):
    routes = load_manifest(FIXTURES / "trs")["routes"]
    expected = expected_articles(FIXTURES / "trs")
    files = [str(FIXTURES / "trs" / routes[e["path"]]["file"]) for e in expected]
    missing = str(tmp_path / "gone.html")
    result = subprocess.run(
        [*PINGAN, "parse", *files, missing, "--jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PINGAN_SITES_PATH": str(PROFILES)},
    )
    assert result.returncode == 1  # one file could not be read
    assert "gone.html" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [*files, missing]
    assert "error" in records[-1]
    for record, want in zip(records, expected, strict=False):
        # TRS pages name their URL (<meta name="Url">), so the profile is found without --url.
        assert record["url"] == want["url"]
        assert record["site"] == "pajinhua"
        assert record["title"] == want["title"]
        assert record["publish_time"] == want["publish_time"]
        assert record["body"] == want["body"]


def test_several_files_without_jsonl_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [*PINGAN, "parse", "a.html", "b.html"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--jsonl" in result.stderr


def test_extract_uses_the_matching_profile_else_the_generic_extractor(monkeypatch):
    monkeypatch.setenv("PINGAN_SITES_PATH", str(PROFILES))
    manifest = load_manifest(FIXTURES / "dedecms")
    want = expected_articles(FIXTURES / "dedecms")[0]
    html = (FIXTURES / "dedecms" / manifest["routes"][want["path"]]["file"]).read_bytes()
    profiled = pingan_crawler.extract(html, want["url"])
    assert profiled.site == "pananhu"
    assert (profiled.title, profiled.source, profiled.body) == (
        want["title"],
        want["source"],
        want["body"],
    )
    assert profiled.counter_url == manifest["base_url"] + want["counter_path"]
    unknown = pingan_crawler.extract(html, "http://elsewhere.example.org/a/1.html")
    assert unknown.site is None
    assert unknown.title == want["title"]
    assert unknown.charset == "gb18030"
