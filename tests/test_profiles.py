"""Site profiles: family bases, validation errors a user can act on, and `pingan sites`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import PINGAN

from pingan_crawler.sites import (
    ProfileError,
    check_profile,
    family_names,
    load_profile,
    load_profile_file,
    parse_profile,
    profile_names,
)

PROFILES = Path(__file__).parent / "profiles"
NEW_TRS_SITE = """
name = "pa-example"
title = "平安示例网"
extends = "trs"
base_url = "http://www.pa.example.gov.cn"

[[sections]]
id = "padt"
name = "平安动态"
"""


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_new_trs_site_is_a_few_lines_and_gets_the_family_defaults(tmp_path):
    profile = load_profile_file(write(tmp_path, NEW_TRS_SITE))
    assert profile.family == "trs"
    assert profile.pagination.style == "trs"
    assert profile.first_page == 0
    assert profile.list_page_url(profile.sections[0], 0) == (
        "http://www.pa.example.gov.cn/padt/index.shtml"
    )
    assert profile.list_page_url(profile.sections[0], 2).endswith("/padt/index_2.shtml")
    assert profile.is_article_url(
        "http://www.pa.example.gov.cn/padt/202205/t20220517_24057210.shtml"
    )
    assert profile.selectors.published == 'meta[name="PubDate"]'


def test_a_site_table_merges_key_by_key_over_its_family(tmp_path):
    text = NEW_TRS_SITE + '\n[selectors]\nbody = "#zoom"\n'
    profile = load_profile_file(write(tmp_path, text))
    assert profile.selectors.body == "#zoom"
    assert profile.selectors.published == 'meta[name="PubDate"]'  # still the family's


def test_section_variables_fill_list_templates(tmp_path):
    text = NEW_TRS_SITE.replace('extends = "trs"', 'extends = "dedecms"') + "tid = 7\n"
    profile = load_profile_file(write(tmp_path, text))
    assert profile.list_page_url(profile.sections[0], 3).endswith("/padt/list_7_3.html")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('base_url = "', 'bsae_url = "'), ["unknown key", "bsae_url"]),
        (('extends = "trs"', 'extends = "wordpress"'), ["extends 'wordpress'", "trs"]),
        (("[[sections]]", '[selectors]\nbody = "div[["\n[[sections]]'), ["selectors.body"]),
        (('name = "平安动态"', 'name = "x"\n[views]\nmode = "ajax"'), ["views.mode", "jq_html"]),
        (('name = "平安动态"', 'name = "x"\n[pagination]\nstyle = "scroll"'), ["pagination"]),
    ],
)
def test_a_bad_profile_names_its_file_and_key(tmp_path, change, words):
    path = write(tmp_path, NEW_TRS_SITE.replace(*change))
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_a_template_variable_no_section_defines_is_rejected(tmp_path):
    text = NEW_TRS_SITE.replace('extends = "trs"', 'extends = "dedecms"')  # no tid
    with pytest.raises(ProfileError, match=r"list_url .*\['tid'\]"):
        load_profile_file(write(tmp_path, text))


def test_hanweb_form_is_filled_per_section():
    profile = parse_profile(
        {
            "name": "h",
            "title": "h",
            "extends": "hanweb",
            "base_url": "http://h.example.cn",
            "pagination": {"form": {"unitid": "{unitid}", "webid": "9"}},
            "sections": [{"id": "123", "name": "动态", "unitid": 55}],
        },
        "inline",
    )
    form = profile.hanweb_form(profile.sections[0])
    assert form["columnid"] == "123"
    assert form["unitid"] == "55"
    assert form["webid"] == "9"
    assert form["col"] == "1"  # from the family


@pytest.mark.parametrize("name", profile_names())
def test_every_shipped_profile_loads_and_builds_its_list_urls(name):
    profile = load_profile(name)
    assert check_profile(profile)
    assert profile.family


def test_pingan_sites_lists_every_profile_with_checked_or_unchecked(tmp_path):
    result = subprocess.run([*PINGAN, "sites"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}
    assert set(rows) == set(profile_names())
    assert rows["pasxw"][1:] == ["平安绍兴新闻网", "custom-asp", "http://pasxw.com", "checked"]
    assert rows["chinapeace"][2:] == ["trs", "http://www.chinapeace.gov.cn", "unchecked"]


def test_pingan_sites_check_reports_a_bad_file_with_exit_1(tmp_path):
    bad_template = 'base_url = "http://www.pa.example.gov.cn"\nlist_url = "/{section}/{pg}.html"'
    path = write(
        tmp_path, NEW_TRS_SITE.replace('base_url = "http://www.pa.example.gov.cn"', bad_template)
    )
    result = subprocess.run(
        [*PINGAN, "sites", "--check", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert "list_url" in result.stderr and "pg" in result.stderr


def test_pingan_sites_check_prints_the_list_urls_it_will_fetch():
    result = subprocess.run(
        [*PINGAN, "sites", "--check", "qzpeace"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PINGAN_SITES_PATH": str(PROFILES)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("qzpeace: ok (hanweb, 3 sections)")
    assert "/col/col60096/index.html" in result.stdout
    assert "POST http://www.qzpeace.example.gov.cn/module/web/jpage/dataproxy.jsp" in result.stdout


@pytest.mark.parametrize("family", family_names())
def test_every_family_base_makes_a_working_profile_in_a_few_lines(family):
    section = {"id": "news", "name": "要闻", "tid": "3", "unitid": "1"}
    profile = parse_profile(
        {
            "name": "x",
            "title": "示例",
            "extends": family,
            "base_url": "http://x.example.cn",
            "article_url": "/a/",
            "sections": [section],
        },
        f"a site extending {family}",
    )
    assert profile.family == family
    assert check_profile(profile)
