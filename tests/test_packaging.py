"""What an installed copy holds: `pingan demo` runs from the built package, far from a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def build_package(target: Path) -> Path:
    """Lay the package out as a wheel does (setuptools' build_py: modules plus package data,
    as pyproject.toml declares them), without a network or the ``wheel`` package."""
    pytest.importorskip("setuptools", reason="building the package needs setuptools")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from setuptools import setup; setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(target),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return target / "pingan_crawler"


@pytest.mark.slow
def test_demo_runs_from_the_built_package_outside_the_checkout(tmp_path):
    package = build_package(tmp_path / "lib")
    sample = package / "sample-sites" / "pasxw"
    assert (sample / "routes.json").is_file()
    assert len(list((sample / "site").iterdir())) > 80
    # Shipped: what the demo serves. Not shipped: the generator and the tests' expectations.
    assert not (sample / "build.py").exists() and not (sample / "expected").exists()
    assert (package / "sites" / "pasxw.toml").is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "lib"), "PINGAN_DB": "unused.db"}
    where = subprocess.run(
        [sys.executable, "-c", "import pingan_crawler; print(pingan_crawler.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).parent == package  # not the checkout's copy
    result = subprocess.run(
        [sys.executable, "-m", "pingan_crawler.cli", "demo", "--db", "demo.db"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("pasxw: 8 sections, 90 pages fetched, 67 articles stored")
    assert (elsewhere / "demo.db").is_file()


def test_a_wrong_sample_directory_is_named_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pingan_crawler.cli", "demo", "--fixtures", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"pingan demo: {tmp_path} is no sample site: it has no routes.json "
        f"(give a fixture directory)"
    )
