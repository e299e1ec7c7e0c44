"""`pingan parse` on files that are no web page: one line each, a batch goes on, no traceback."""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import PINGAN

from pingan_crawler.cli.main import main
from pingan_crawler.pages import parse_files
from pingan_crawler.parsing.sniff import binary_type

GOOD_PAGE = (
    '<html><head><meta charset="gbk"><title>市局召开夏季治安整治部署会</title></head><body>'
    "<h1>市局召开夏季治安整治部署会</h1><div class='info'>发布时间：2024-06-03 来源：市公安局</div>"
    "<div class='content'><p>六月三日，市公安局召开夏季治安打击整治行动部署会，"
    "要求各分局围绕群众反映强烈的突出问题，开展夜间巡查和重点场所检查。</p>"
    "<p>会议强调，要把整治成效落到群众的安全感上。</p></div></body></html>"
)


def make_bad_files(folder: Path) -> dict[str, str]:
    """Files a user may hand `pingan parse` by mistake, and the word its error must hold."""
    rng = random.Random(14)
    (folder / "a.out").write_bytes(
        b"\x7fELF\x02\x01\x01\x00" + bytes(rng.randrange(256) for _ in range(3000))
    )
    (folder / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500))
    (folder / "crawl.warc.gz").write_bytes(
        gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\nContent-Length: 0\r\n\r\n")
    )
    db = folder / "pingan.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE articles (url TEXT)")
    (folder / "empty.html").write_bytes(b"")
    (folder / "noise.bin").write_bytes(bytes(rng.randrange(256) for _ in range(8000)))
    (folder / "saved.html").write_bytes(gzip.compress(GOOD_PAGE.encode("gbk")))
    (folder / "pages").mkdir()
    return {
        "a.out": "ELF executable",
        "photo.html": "PNG image",
        "crawl.warc.gz": "gzip-compressed WARC",
        "pingan.db": "SQLite database",
        "empty.html": "is empty",
        "noise.bin": "binary file",
        "saved.html": "gzip-compressed HTML page",
        "pages": "is a directory",
        "gone.html": "No such file",
    }


def test_each_kind_of_bad_file_is_named(tmp_path):
    expected = make_bad_files(tmp_path)
    names = [str(tmp_path / name) for name in expected]
    records = list(parse_files(names, url="http://example.gov.cn/a/1.html"))
    assert [r["file"] for r in records] == names
    for record, words in zip(records, expected.values(), strict=True):
        assert words in record["error"], record
        assert record["file"] in record["error"]
        assert "\n" not in record["error"]


def test_binary_types_of_made_files(tmp_path):
    expected = make_bad_files(tmp_path)
    for name, words in expected.items():
        path = tmp_path / name
        if path.is_file() and path.stat().st_size:
            assert words.split()[0] in (binary_type(path.read_bytes()) or ""), name


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_are_never_text(seed):
    rng = random.Random(seed)
    assert binary_type(bytes(rng.randrange(256) for _ in range(2000))) is not None


def test_a_jsonl_batch_goes_on_past_bad_files(tmp_path):
    expected = make_bad_files(tmp_path)
    good = tmp_path / "good.html"
    good.write_bytes(GOOD_PAGE.encode("gbk"))
    nul = tmp_path / "nul.html"
    nul.write_bytes(GOOD_PAGE.encode("gbk").replace(b"<h1>", b"<h1>\x00") + b"\x00" * 64)
    names = [str(tmp_path / n) for n in expected]
    files = [names[0], str(good), *names[1:], str(nul)]
    result = subprocess.run(
        [*PINGAN, "parse", "--jsonl", *files], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1  # some files failed
    assert "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == len(expected)
    for line, name in zip(errors, names, strict=True):
        assert line.startswith("pingan parse: ") and name in line
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == files
    parsed = {r["file"]: r for r in records if "error" not in r}
    assert set(parsed) == {str(good), str(nul)}
    for record in parsed.values():
        assert record["title"] == "市局召开夏季治安整治部署会"
        assert "夜间巡查" in record["body"]
    assert any("NUL bytes removed" in w for w in parsed[str(nul)]["warnings"])


@pytest.mark.parametrize(("name", "code"), [("a.out", 1), ("pages", 2), ("gone.html", 2)])
def test_one_bad_file_gets_one_line_and_an_exit_code(tmp_path, capsys, name, code):
    make_bad_files(tmp_path)
    path = str(tmp_path / name)
    assert main(["parse", path, "--url", "http://example.gov.cn/a/1.html"]) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and path in err


@pytest.mark.parametrize(
    "url", ["foo", "http://[::1", "ftp://x.example.cn/a.html", "http://a.cn:99999/"]
)
def test_a_url_that_is_no_web_address_is_a_usage_error(tmp_path, capsys, url):
    page = tmp_path / "good.html"
    page.write_bytes(GOOD_PAGE.encode("gbk"))
    assert main(["parse", str(page), "--url", url]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--url" in line and "not an http(s) URL" in line


def test_a_malformed_canonical_link_in_the_page_is_ignored(tmp_path):
    page = tmp_path / "saved.html"
    page.write_bytes(
        GOOD_PAGE.replace("<title>", '<link rel="canonical" href="http://[::1/x"><title>').encode(
            "gbk"
        )
    )
    [record] = parse_files([str(page)])
    assert record["url"] == page.resolve().as_uri()
    assert record["title"] == "市局召开夏季治安整治部署会"
