"""A page that is not an article becomes an error row with its snapshot, never an article."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import PASXW, query, run_pingan


@pytest.mark.slow
def test_empty_shell_page_is_an_error_not_an_article(tmp_path):
    site = tmp_path / "pasxw"
    shutil.copytree(PASXW, site)
    manifest = json.loads((site / "routes.json").read_text("utf-8"))
    victim = "/index.asp?bh=2020128154217922"
    (site / "site" / "shell.html").write_bytes(
        b"<html><head><title>\xb7\xc3\xce\xca\xd2\xec\xb3\xa3</title></head><body></body></html>"
    )
    manifest["routes"][victim]["file"] = "site/shell.html"
    (site / "routes.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    db = tmp_path / "v.db"
    result = run_pingan("demo", "--db", str(db), "--fixtures", str(site), db=db)
    assert result.returncode == 1  # finished, with errors
    assert "1 errors" in result.stdout
    url = "http://pasxw.com" + victim
    assert query(db, "SELECT count(*) FROM articles WHERE url = ?", (url,)) == [(0,)]
    [(kind, detail, status, snap)] = query(
        db, "SELECT kind, detail, http_status, snapshot_id FROM errors WHERE url = ?", (url,)
    )
    assert kind == "not_an_article"
    assert "body" in detail
    assert status == 200
    assert snap is not None
