"""Record what a live check fetched as a fixture folder, the layout of ``tests/fixtures/<site>``.

``Recorder`` is a downloader middleware placed after HTTP decompression: it saves every
response's bytes exactly as the spider receives them (so exactly what the archive stores) with
status and headers, POST forms included (Hanweb's dataproxy pages are told apart only by their
form, which the archive does not keep), and each redirect hop. ``write_fixture`` then turns
that log plus the check's archive into ``routes.json`` (for ``FixtureServer``), ``site/`` (the
bytes), ``expected/`` (the extracted fields as JSON) and ``profile.toml`` (the profile used).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from pingan_crawler.fixtureserver import form_key

LOG_NAME = ".exchanges.jsonl"
# Headers that describe the transfer, not the page: replayed bytes are already decompressed.
_TRANSFER = {"content-encoding", "content-length", "transfer-encoding", "connection", "server"}


def route_key(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


class Recorder:
    def __init__(self, directory: Path):
        self.directory = directory
        (directory / "site").mkdir(parents=True, exist_ok=True)
        self.log = (directory / LOG_NAME).open("a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(Path(crawler.settings.get("PINGAN_RECORD_DIR")))

    def process_response(self, request: Request, response: Response) -> Response:
        chain = request.meta.get("redirect_urls", [])
        reasons = request.meta.get("redirect_reasons", [])
        hops = [*chain, response.url]
        for i, url in enumerate(chain):
            status = reasons[i] if i < len(reasons) and isinstance(reasons[i], int) else 302
            self._write(
                {
                    "method": "GET",
                    "key": route_key(url),
                    "status": status,
                    "headers": {"Location": hops[i + 1]},
                    "file": None,
                }
            )
        headers = {
            name.decode("latin-1"): values[-1].decode("latin-1")
            for name, values in response.headers.items()
            if values and name.decode("latin-1").lower() not in _TRANSFER
        }
        body = response.body
        name = _file_name(route_key(response.url), body)
        (self.directory / "site" / name).write_bytes(body)
        entry = {
            "method": request.method,
            "key": route_key(response.url),
            "status": response.status,
            "headers": headers,
            "file": f"site/{name}",
        }
        if request.method == "POST":
            entry["form"] = form_key(request.body.decode("latin-1"))
        self._write(entry)
        return response

    def _write(self, entry: dict) -> None:
        self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.log.flush()


def _file_name(key: str, body: bytes) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key.strip("/")).strip("_")[:80] or "index"
    digest = hashlib.sha1(body).hexdigest()[:8]
    stem, dot, ext = slug.rpartition(".")
    if dot and 1 <= len(ext) <= 5 and ext.isalnum():
        return f"{stem}-{digest}.{ext}"
    return f"{slug}-{digest}.html"


def routes_from_log(directory: Path) -> dict:
    routes: dict = {}
    log = directory / LOG_NAME
    if not log.exists():
        return routes
    for line in log.read_text("utf-8").splitlines():
        entry = json.loads(line)
        route = {"status": entry["status"], "headers": entry["headers"]}
        if entry["file"]:
            route["file"] = entry["file"]
        if entry["method"] == "POST":
            forms = routes.setdefault(f"POST {entry['key']}", {"forms": {}})["forms"]
            forms[entry["form"]] = route
        else:
            routes[entry["key"]] = route
    return routes


def expected_articles(db: Path, base_url: str) -> list[dict]:
    """The archived articles as the bundled fixtures' expected JSON."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT url, title, published_at, view_count, section, source, editor, author, "
            "images, charset, body, pages, counter_url, id FROM articles ORDER BY url"
        ).fetchall()
        methods = dict(
            conn.execute(
                "SELECT article_id, method FROM view_counts GROUP BY article_id"
            ).fetchall()
        )
    out = []
    for (
        url,
        title,
        published,
        views,
        section,
        source,
        editor,
        author,
        images,
        charset,
        body,
        pages,
        counter,
        article_id,
    ) in rows:
        method = methods.get(article_id)
        out.append(
            {
                "path": url.removeprefix(base_url) or "/",
                "url": url,
                "title": title,
                "publish_time": published,
                "view_count": views,
                "section": section,
                "source": source,
                "editor": editor,
                "author": author,
                "images": json.loads(images or "[]"),
                "charset": charset,
                "body": body,
                "pages": pages,
                "view_count_source": None
                if views is None
                else ("page" if method in (None, "page") else "counter"),
                "counter_path": counter.removeprefix(base_url) if counter else None,
            }
        )
    return out


def write_fixture(
    directory: Path, db: Path, profile_file: Path, manifest: dict, base_url: str
) -> int:
    """Finish a recorded fixture folder; returns the number of expected articles."""
    expected_dir = directory / "expected"
    if expected_dir.exists():
        shutil.rmtree(expected_dir)
    expected_dir.mkdir(parents=True)
    articles = expected_articles(db, base_url)
    for article in articles:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", article["path"]).strip("_")[-90:] or "index"
        (expected_dir / f"{slug}.json").write_text(
            json.dumps(article, ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
    routes = routes_from_log(directory)
    (directory / LOG_NAME).unlink(missing_ok=True)
    (directory / "routes.json").write_text(
        json.dumps({**manifest, "routes": routes}, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    shutil.copyfile(profile_file, directory / "profile.toml")
    return len(articles)
