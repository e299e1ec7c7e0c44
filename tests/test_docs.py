"""The docs cannot drift: generated pages fresh, links resolving, declared dependencies used."""

from __future__ import annotations

import argparse
import ast
import re
import tomllib
from pathlib import Path

import pytest

from pingan_crawler import docs, errorkinds

REPO = Path(__file__).resolve().parent.parent
MARKDOWN = [REPO / "README.md", REPO / "BENCHMARKS.md", *sorted((REPO / "docs").glob("*.md"))]
MARKDOWN.append(REPO / "tests" / "fixtures" / "README.md")


def test_generated_pages_are_fresh():
    assert docs.stale() == [], "run: python -m pingan_crawler.docs"


def test_cli_reference_lists_every_subcommand_and_option():
    from pingan_crawler.cli.main import build_parser

    page = docs.cli_reference()
    for name, sub in docs._subcommands(build_parser(), "pingan"):
        assert f"## `{name}`" in page
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and action.help is not argparse.SUPPRESS:
                    assert f"`{flag}" in page or f", {flag}" in page, (name, flag)


def test_stale_check_sees_a_changed_error_kind(tmp_path, monkeypatch):
    for name, render in docs.PAGES.items():
        (tmp_path / name).write_text(render(), "utf-8")
    assert docs.stale(tmp_path) == []
    monkeypatch.setitem(errorkinds.KINDS, "teapot", "the server is a teapot")
    monkeypatch.setitem(errorkinds.ADVICE, "teapot", "brew elsewhere")
    assert docs.stale(tmp_path) == [tmp_path / "errors.md"]
    assert "| `teapot` | the server is a teapot | brew elsewhere |" in docs.errors_reference()


def test_every_error_kind_says_what_to_do():
    assert set(errorkinds.ADVICE) == set(errorkinds.KINDS)
    assert all(text.strip() for text in errorkinds.ADVICE.values())


def test_readme_is_a_front_page_with_the_ci_test_command():
    readme = (REPO / "README.md").read_text("utf-8")
    assert len(readme.encode()) <= 20_000
    ci = (REPO / ".ci" / "run").read_text("utf-8").strip().splitlines()[-1]
    assert f"```sh\n{ci}\n```" in readme


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in path.read_text("utf-8").splitlines():
        if m := re.match(r"#{1,6} (.+)", line):
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(slug)
    return out


def _links(path: Path):
    text = re.sub(r"```.*?```", "", path.read_text("utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):
            yield target


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in _links(page):
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in _anchors(dest)):
            broken.append(target)
    assert broken == []


# distribution name → the module names that count as importing it
IMPORT_NAMES = {
    "beautifulsoup4": {"bs4"},
    "python-dateutil": {"dateutil"},
    "charset-normalizer": {"charset_normalizer"},
    "sqlite-utils": {"sqlite_utils"},
    "cssselect": {"cssselect", "lxml.cssselect"},  # lxml.cssselect is lxml's use of it
}
# declared for a use another branch adds; the test fails once the import exists, so the entry goes
PENDING = {"python-dateutil": "parsing/dates.py reads English and RFC 2822 dates with it"}


def _imported_modules() -> set[str]:
    names = set()
    for path in (REPO / "pingan_crawler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


def test_every_declared_dependency_is_imported():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    imported = _imported_modules()
    unused, pending_done = [], []
    for spec in project["dependencies"]:
        dist = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0).lower()
        names = IMPORT_NAMES.get(dist, {dist.replace("-", "_")})
        used = bool(names & imported)
        if dist in PENDING:
            if used:
                pending_done.append(dist)
        elif not used:
            unused.append(dist)
    assert unused == [], "declared in pyproject.toml but never imported in pingan_crawler/"
    assert pending_done == [], "now imported: remove it from PENDING"
