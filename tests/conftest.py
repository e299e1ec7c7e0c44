"""Shared test fixtures: the bundled sample site, its expected output, and one demo crawl."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pingan_crawler.fixtureserver import SAMPLE_SITE

FIXTURES = Path(__file__).parent / "fixtures"
# The bundled sample ships in the package (pingan demo serves it from a wheel too); the other
# sample sites are the tests' own.
PASXW = SAMPLE_SITE
SITE_DIRS = {
    d.name: d for d in [PASXW, *sorted(FIXTURES.iterdir())] if (d / "routes.json").is_file()
}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
REALPAGES = SHARED / "realpages"
PINGAN = [sys.executable, "-m", "pingan_crawler.cli"]


def site_dir(name: str) -> Path:
    """A sample site's directory by name (``pasxw``, ``trs``, ``hostile`` …), or by its path
    under tests/fixtures (``unknown/linjiang``)."""
    return SITE_DIRS.get(name) or FIXTURES / name


def load_manifest(site_dir: Path = PASXW) -> dict:
    return json.loads((site_dir / "routes.json").read_text("utf-8"))


def expected_articles(site_dir: Path = PASXW) -> list[dict]:
    return [
        json.loads(p.read_text("utf-8")) for p in sorted((site_dir / "expected").glob("*.json"))
    ]


def page_bytes(path: str, site_dir: Path = PASXW) -> tuple[bytes, str]:
    """The bytes and Content-Type header the sample site serves for ``path``."""
    route = load_manifest(site_dir)["routes"][path]
    return (site_dir / route["file"]).read_bytes(), route["headers"].get("Content-Type", "")


def run_pingan(*args: str, db: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PINGAN_DB": str(db)}
    return subprocess.run(
        [*PINGAN, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=Path(__file__).parent.parent,
    )


def query(db: Path, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """An archive made by one ``pingan demo`` run (a real crawl over 127.0.0.1)."""
    db = tmp_path_factory.mktemp("demo") / "pingan.db"
    result = run_pingan("demo", "--db", str(db), db=db)
    assert result.returncode == 0, result.stderr[-3000:]
    return db


@pytest.fixture
def demo_db_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo archive for tests that crawl into it again."""
    copy = tmp_path / "pingan.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


@pytest.fixture
def realpages() -> Path:
    if not REALPAGES.is_dir():
        pytest.skip(f"{REALPAGES} is absent: the real-page corpus lives outside the repo")
    return REALPAGES
