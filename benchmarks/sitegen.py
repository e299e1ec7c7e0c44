"""Generate a pasxw-style site of N articles (GBK bytes, 8 sections) for benchmarks.

``python -m benchmarks.sitegen OUT_DIR [-n 10000]`` writes ``OUT_DIR/routes.json`` and the pages,
served by :class:`pingan_crawler.fixtureserver.FixtureServer` like the bundled sample. Articles
are recombined from the sample's own paragraphs, each with a sentence of its own so no two
bodies are equal; the page template is the sample's (pingan_crawler/sample-sites/pasxw/build.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "pingan_crawler" / "sample-sites" / "pasxw"
LIST_PAGE_SIZE = 20


def _load_builder():
    spec = importlib.util.spec_from_file_location("pasxw_build", SAMPLE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PAGE_SIZE = LIST_PAGE_SIZE
    return module


def generate(out: Path, count: int, seed: int = 7) -> dict:
    """Write the site; returns its manifest."""
    build = _load_builder()
    rng = random.Random(seed)
    pool = [p for a in build.load_articles() for p in a["paragraphs"] if len(p) > 30]
    titles = [a["title"] for a in build.load_articles()]
    sources = ["绍兴日报", "绍兴市委政法委", "法治日报——法制网", "柯桥公安", "浙江法制报", None]
    start = datetime(2019, 1, 1, 8, 0, 0)
    articles = []
    for n in range(count):
        dt = start + timedelta(minutes=97 * n + rng.randint(0, 90))
        paragraphs = rng.sample(pool, rng.randint(4, 8))
        paragraphs.insert(
            1, f"据统计，截至{dt.year}年{dt.month}月，全市累计排查化解矛盾纠纷{n + 1031}件。"
        )
        articles.append(
            {
                "title": f"{rng.choice(titles)}（{n + 1}）",
                "published": f"{dt:%Y-%m-%d %H:%M:%S}",
                "dt": dt,
                "views": rng.randint(30, 6000),
                "source": rng.choice(sources),
                "editor": rng.choice(["安羽", "周静", "王琳", "陈晓"]),
                "paragraphs": paragraphs,
                "section": build.SECTIONS[n % len(build.SECTIONS)],
                "bh": f"{dt:%Y%m%d%H%M%S}{n % 1000:03d}",
            }
        )
    hot = sorted(articles, key=lambda a: a["views"], reverse=True)[:7]
    site = out / "site"
    site.mkdir(parents=True, exist_ok=True)
    routes: dict[str, dict] = {}

    def add(path: str, name: str, content: bytes) -> None:
        (site / name).write_bytes(content)
        routes[path] = {
            "file": f"site/{name}",
            "status": 200,
            "headers": {**build.IIS, "Content-Type": "text/html"},
        }

    add("/robots.txt", "robots.txt", b"User-agent: *\r\nDisallow: /admin/\r\n")
    for number, name in enumerate(build.SECTIONS, start=1):
        items = sorted(
            (a for a in articles if a["section"] == name), key=lambda a: a["dt"], reverse=True
        )
        pages = -(-len(items) // LIST_PAGE_SIZE)
        for page in range(1, pages + 1):
            chunk = items[(page - 1) * LIST_PAGE_SIZE : page * LIST_PAGE_SIZE]
            content = build.crlf(build.list_page(name, chunk, page, pages, len(items)))
            add(f"/list.asp?lb={number}&page={page}", f"list_{number}_{page}.html", content)
            if page == 1:
                routes[f"/list.asp?lb={number}"] = routes[f"/list.asp?lb={number}&page=1"]
        for index, art in enumerate(items):
            prev = items[index - 1] if index else None
            nxt = items[index + 1] if index + 1 < len(items) else None
            add(
                f"/index.asp?bh={art['bh']}",
                f"a_{art['bh']}.html",
                build.crlf(build.article_page(art, hot, prev, nxt)),
            )
    manifest = {"site": "pasxw", "articles": count, "routes": routes}
    (out / "routes.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", "--count", type=int, default=10_000)
    args = parser.parse_args()
    manifest = generate(args.out, args.count)
    print(f"{args.count} articles, {len(manifest['routes'])} routes → {args.out}")


if __name__ == "__main__":
    main()
