"""`pingan recheck` and `pingan changes` refuse bad input in one line, before fetching anything."""

from __future__ import annotations

import contextlib
import io

import pytest
from newsroom import NewsSite
from test_versions import SITE, fetch

from pingan_crawler.cli.main import main
from pingan_crawler.crawl.args import RecheckArgs, parse_age, parse_schedule, recheck_profile
from pingan_crawler.storage import Archive, store


def pingan(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "pingan.db"
    with Archive(path) as archive:
        store(archive, None, fetch(NewsSite(), 0))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "no archived article of nowhere (archived sites: donghu)"),
        (["--older-than", "soon"], "--older-than 'soon' is not an age"),
        (["--since", "yesterday"], "--since 'yesterday' is not a date"),
        (["--max", "-1"], "--max -1: give 0 or more articles"),
        (["donghu", "-s", "bad"], "-s 'bad': use NAME=VALUE"),
    ],
)
def test_bad_recheck_input_is_one_line_and_exit_2(db, args, message):
    code, out, err = pingan("recheck", *args, "--db", str(db))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_recheck_without_an_archive_says_so(tmp_path):
    code, _out, err = pingan("recheck", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no archive at" in err


def test_all_and_older_than_exclude_each_other(db):
    with pytest.raises(SystemExit):
        pingan("recheck", "--all", "--older-than", "7d", "--db", str(db))


def test_changes_with_nothing_observed_says_so(db):
    code, out, err = pingan("changes", "--db", str(db))
    assert (code, out) == (0, "") and "no change observed" in err


def test_ages_schedules_and_profiles():
    assert parse_age("7d").days == 7 and parse_age("12h").seconds == 12 * 3600
    assert parse_age("2w").days == 14 and parse_age("3").days == 3
    assert parse_schedule("7d:1d,90d:7d,*:30d") == ((7.0, 1.0), (90.0, 7.0), (None, 30.0))
    with pytest.raises(ValueError, match="end with"):
        parse_schedule("7d:1d")
    assert recheck_profile("pasxw").base_url == "http://pasxw.com"
    generic = recheck_profile("127.0.0.1:8765", sample_url="https://127.0.0.1:8765/a.html")
    assert (generic.name, generic.base_url) == ("127.0.0.1:8765", "https://127.0.0.1:8765")
    args = RecheckArgs.from_strings(site=SITE + ".example", all="1", max="5", older_than="")
    assert (args.every, args.max_articles, args.older_than) == (True, 5, None)


def test_a_site_is_rechecked_where_its_last_run_fetched_it(db):
    import argparse

    from pingan_crawler.cli.changes import recheck_jobs

    with Archive(db) as archive:
        archive.crawls.start(SITE, {"spider": "pingan", "mirror_url": "http://127.0.0.1:9"})
        archived = archive.articles.sample_urls()
        mirrors = {site: archive.crawls.last_mirror(site) for site in archived}
    options = dict(sites=[], all=False, since=None, older_than=None, max=None)
    (job,) = recheck_jobs(argparse.Namespace(**options, base_url=None), archived, mirrors)
    assert job.profile.mirror_url == "http://127.0.0.1:9"
    assert job.profile.to_mirror(archived[SITE]).startswith("http://127.0.0.1:9/xwzx/")
    (job,) = recheck_jobs(argparse.Namespace(**options, base_url=""), archived, mirrors)
    assert job.profile.mirror_url == ""
