"""A fixture archive for trends, report and explore: several sites, reposts, and edge cases.

The demo crawl (the pasxw sample over 127.0.0.1: view counts, a crawl record), the labelled
repost set (six sites, repost clusters), and a few articles written here for the corners of
word matching: a two-character word that ends a title or a body, a body that is only the word,
one character at the very end, ASCII in both cases, an article without a publish time, and
days on period boundaries (ISO week 53, a quarter's last day).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from conftest import FIXTURES

from pingan_crawler.items import ArticlePage, Snapshot
from pingan_crawler.parsing.dates import SHANGHAI
from pingan_crawler.parsing.model import Article
from pingan_crawler.storage import Archive
from pingan_crawler.storage import store as store_item

LABELLED = json.loads((FIXTURES / "reposts" / "labelled.json").read_text("utf-8"))

EDGE = [  # (title, published or None, body)
    ("街道开展宣传活动 全民反诈", "2021-03-02T10:00:00", "社区民警走进广场，向居民讲解防范知识。"),
    ("县委政法委召开会议", "2021-03-05T09:00:00", "会议强调，要畅通群众诉求渠道，依法处理信访"),
    ("简讯", "2021-03-06T09:00:00", "毒品"),
    ("禁毒宣传进校园", "2021-03-07T09:00:00", "民警提醒同学们珍爱生命，远离毒"),
    ("APP上线 办事更方便", "2021-03-08T09:00:00", "群众下载app即可在线办理户籍业务。"),
    ("扫黑除恶专项斗争回头看", None, "各地持续开展反诈宣传与扫黑除恶线索核查工作。"),
    (
        "跨年夜安保工作部署",
        "2021-01-03T23:30:00",
        "元旦期间全市公安机关加强巡逻，严防电信网络诈骗。",
    ),
    ("年终平安建设总结", "2020-12-31T20:00:00", "全年平安建设成效明显，矛盾纠纷化解率提升。"),
]
WORDS = [
    "扫黑除恶",
    "电信网络诈骗",
    "平安建设",
    "反诈",
    "信访",
    "禁毒",
    "扫黑",
    "毒",
    "毒品",
    "APP",
    "AP",
    "电信 诈骗",
    "嗯嗯",
]


def article(url: str, site: str, title: str, published: str | None, body: str) -> Article:
    when = datetime.fromisoformat(published[:19]).replace(tzinfo=SHANGHAI) if published else None
    return Article(
        url=url,
        site=site,
        title=title,
        published_at=when,
        published_raw=published,
        published_precision="second" if published else None,
        view_count=None,
        view_count_raw=None,
        body=body,
        body_html="".join(f"<p>{p}</p>" for p in body.split("\n")),
        source=None,
        editor=None,
        author=None,
        section="test",
        images=(),
        charset="utf-8",
    )


def store(archive: Archive, item: Article) -> None:
    snap = Snapshot(
        url=item.url,
        status=200,
        headers={},
        body=item.body.encode("utf-8"),
        fetched_at=datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI),
    )
    store_item(archive, None, ArticlePage(item.site, "test", snap, item))


_BUILT: dict[Path, Path] = {}  # demo archive → the archive built from it, once per test run


def build(demo_db: Path, path: Path) -> Path:
    """The demo archive with the repost set and the edge articles added, copied to ``path``.

    Built once per test run (storing and signing the articles takes seconds), then copied.
    """
    if demo_db not in _BUILT:
        _BUILT[demo_db] = _make(demo_db, path.with_name("built-" + path.name))
    with sqlite3.connect(_BUILT[demo_db]) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return path


def _make(demo_db: Path, path: Path) -> Path:
    with sqlite3.connect(demo_db) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    archive = Archive(path)
    for record in LABELLED["articles"]:
        url = f"http://{record['site']}.example/{record['id']}"
        store(
            archive,
            article(url, record["site"], record["title"], record["published"], record["body"]),
        )
    for n, (title, published, body) in enumerate(EDGE):
        store(archive, article(f"http://edge.example/{n}", "edge", title, published, body))
    archive.close()
    return path
