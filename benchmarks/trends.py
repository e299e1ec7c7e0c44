"""Topic trends on a generated archive: `pingan trends` beside a plain scan and hand-written SQL.

``python -m benchmarks.trends [-n 100000] [--db PATH] [--report FILE.html]`` fills an archive with
N articles of 12 sites over ten years, then times trends of long words (trigram index), short
words (table scan), presets, per site and per week, beside two baselines measured in the same
run: a plain ``COUNT(*)`` scan of the same rows grouped by month, and what an analyst writes by
hand (one ``LIKE`` scan per word, grouped by month), and for short words the same counts by one
``instr`` scan of every body (what trends does without migration m015's indexes). Every count is
checked against the hand-written SQL. Goal (issue 18): trends over 100,000 articles in ≤ 2 s.

The text resembles news rather than one repeated template: sentences of the bundled fixture
sites (all written for this project) drawn with Zipf weights, so a few boilerplate sentences are
everywhere and most are rare; topics come and go over the years (扫黑除恶 peaks 2018–2020, 反诈
rises from 2020, 防溺水 every summer), each with its own sentences, numbers and place names; site
volumes differ tenfold; 1.5 % of articles have no publish time. An existing ``--db`` with N
articles is reused.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from pingan_crawler.analysis.topics import load_presets
from pingan_crawler.analysis.trends import Matcher, Series, trends
from pingan_crawler.storage import Archive, content_hash

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
START = datetime(2015, 1, 1)
YEARS = 10
SITES = [  # (name, city, relative volume)
    ("zjpa", "浙江", 10),
    ("pasxw", "绍兴", 8),
    ("sxcaw", "绍兴", 6),
    ("hzpa", "杭州", 5),
    ("nbcaw", "宁波", 4),
    ("wzpa", "温州", 3),
    ("jxzfw", "江西", 3),
    ("hnzf", "湖南", 2),
    ("gdzf", "广东", 2),
    ("putian", "莆田", 1.5),
    ("beibei", "北碚", 1),
    ("jlpeace", "吉林", 1),
]
SOURCES = ["本网", "市委政法委", "市公安局", "法治日报", "人民法院报", "县融媒体中心", None]
EDITORS = ["安羽", "周静", "王琳", "陈晓", "李娜", "赵敏", "钱薇", "孙立"]
# Topic words with the sentences that carry them, and how their frequency moves over time.
TOPICS = [
    (
        "扫黑除恶",
        0.10,
        lambda y, m: 2.5 if 2018 <= y <= 2020 else 0.6,
        [
            "{city}深入推进扫黑除恶专项斗争，打掉涉黑涉恶团伙{n}个。",
            "常态化扫黑除恶工作推进会在{city}召开，坚决铲除黑恶势力滋生土壤。",
            "{city}公安机关依法严惩黑恶势力犯罪，深挖彻查“保护伞”{n}人。",
        ],
    ),
    (
        "反诈",
        0.06,
        lambda y, m: 0.3 if y < 2020 else 1.0 + 0.6 * (y - 2020),
        [
            "{city}反诈中心提醒：凡是自称客服要求转账的都是诈骗，今年已止付{n}万元。",
            "民警走进社区开展反诈宣传，现场指导群众下载国家反诈中心APP。",
            "{city}破获电信网络诈骗案件{n}起，抓获犯罪嫌疑人多名。",
        ],
    ),
    (
        "禁毒",
        0.05,
        lambda y, m: 1.6 if m == 6 else 1.0,
        [
            "{city}开展“6·26”国际禁毒日集中宣传活动，发放禁毒资料{n}份。",
            "禁毒民警提醒：远离毒品，珍爱生命，涉毒违法犯罪必将严惩。",
        ],
    ),
    (
        "枫桥经验",
        0.015,
        lambda y, m: 1.5 if y >= 2018 else 0.8,
        ["{city}坚持和发展新时代“枫桥经验”，矛盾纠纷就地化解率达{n}%。"],
    ),
    (
        "防溺水",
        0.02,
        lambda y, m: 5.0 if m in (6, 7, 8) else 0.2,
        ["暑期将至，{city}教育部门联合派出所开展防溺水安全教育，走访家庭{n}户。"],
    ),
    (
        "平安建设",
        0.12,
        lambda y, m: 1.0,
        [
            "{city}以平安建设为抓手，全年化解各类风险隐患{n}处。",
            "平安建设考核中{city}位列全省第{n}名，群众安全感持续提升。",
        ],
    ),
    (
        "信访",
        0.03,
        lambda y, m: 1.0,
        ["{city}领导干部接访下访，当场解决群众信访诉求{n}件。"],
    ),
    (
        "疫情防控",
        0.05,
        lambda y, m: 6.0 if 2020 <= y <= 2022 else 0.05,
        ["{city}政法干警下沉一线参与疫情防控，累计值守卡口{n}个。"],
    ),
]
BENCH_WORDS = ["扫黑除恶", "电信网络诈骗", "枫桥经验", "平安建设", "反诈", "禁毒", "信访", "毒"]
UNDATED = 0.015


def sentence_pool() -> tuple[list[str], list[str]]:
    """Sentences and titles of the fixture sites' content (our own writing), without topics.

    The fixtures are about the very topics of the presets; left in, the Zipf head would put
    扫黑除恶 in half of all articles. Topic words come from :data:`TOPICS` instead.
    """
    topic_words = [w for p in load_presets().values() for w in p.words]
    sentences, titles = set(), set()
    files = [*FIXTURES.glob("*/content/*.json"), FIXTURES / "reposts" / "base.json"]
    for path in files:
        for item in json.loads(path.read_text("utf-8")):
            if not any(w in item["title"] for w in topic_words):
                titles.add(item["title"])
            for para in item.get("paragraphs", []):
                for s in re.findall(r"[^。！？]+[。！？]?", para):
                    if len(s.strip()) >= 8 and not any(w in s for w in topic_words):
                        sentences.add(s.strip())
    return sorted(sentences), sorted(titles)


def _article(rng, n, dt, site, city, pool, cum_weights, titles) -> dict:
    k = max(3, min(80, int(rng.lognormvariate(math.log(20), 0.6))))
    chosen = rng.choices(pool, cum_weights=cum_weights, k=k)
    title = rng.choice(titles)
    for word, base, curve, templates in TOPICS:
        if dt and rng.random() < base * curve(dt.year, dt.month):
            at = rng.randrange(len(chosen) + 1)
            chosen.insert(at, rng.choice(templates).format(city=city, n=rng.randint(2, 980)))
            if rng.random() < 0.3:
                title = f"{city}{word}工作{rng.choice(['取得新成效', '再部署', '见实效'])}"
    chosen.insert(1, f"截至{n % 28 + 1}日，{city}累计受理群众求助{n + 1031}件。")
    paragraphs, para = [], []
    for s in chosen:
        para.append(s)
        if len(para) >= rng.randint(2, 4):
            paragraphs.append("".join(para))
            para = []
    if para:
        paragraphs.append("".join(para))
    return {"title": title, "paragraphs": paragraphs}


def generate(path: Path, count: int, seed: int = 18) -> None:
    """Bulk-insert ``count`` articles with view readings, crawls, errors and repost clusters."""
    rng = random.Random(seed)
    pool, titles = sentence_pool()
    rng.shuffle(pool)
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(pool))]
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    archive = Archive(path)
    conn = archive.db.conn
    (trigger_sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_ai'"
    ).fetchone()
    conn.execute("DROP TRIGGER articles_ai")  # index the text once at the end
    span = timedelta(days=365 * YEARS).total_seconds()
    rows, views, clusters = [], [], []
    recent: dict[str, list] = {}
    for n in range(1, count + 1):
        site, city = rng.choices([s[:2] for s in SITES], weights=[s[2] for s in SITES])[0]
        # volume grows over the years, as archives of real sites do
        dt = START + timedelta(seconds=span * math.sqrt(rng.random()))
        undated = rng.random() < UNDATED
        art = _article(rng, n, None if undated else dt, site, city, pool, cum, titles)
        cluster = None
        originals = [r for s, r in recent.items() if s != site and r]
        if originals and rng.random() < 0.04:  # a repost of another site's recent article
            original = rng.choice(rng.choice(originals))
            art = {"title": original[4], "paragraphs": original[9].split("\n")}
            dt = datetime.fromisoformat(original[5][:19]) + timedelta(hours=rng.expovariate(1 / 20))
            undated = False
            cluster = original[0]
        body = "\n".join(art["paragraphs"])
        published = None if undated else dt.isoformat(timespec="seconds") + "+08:00"
        seen = (dt + timedelta(hours=6)).isoformat(timespec="seconds") + "+08:00"
        row = [
            n,
            f"http://{site}.example/{dt:%Y%m}/t{dt:%Y%m%d}_{n}.html",
            site,
            rng.choice(["要闻", "基层动态", "政法队伍", "平安建设", "法治宣传"]),
            art["title"],
            published,
            None if undated else f"{dt:%Y-%m-%d %H:%M}",
            "minute",
            rng.randint(20, 9000),
            body,
            "".join(f"<p>{p}</p>" for p in art["paragraphs"]),
            rng.choice(SOURCES),
            rng.choice(EDITORS),
            content_hash(body),
            seen,
            seen,
            None,
        ]
        if cluster:
            row[16] = cluster
            clusters.append((cluster, n))
        rows.append(row)
        if published:
            recent.setdefault(site, []).append(row)
            recent[site] = recent[site][-50:]
        views.append((n, seen, row[8]))
        if len(rows) == 5_000:
            _flush(conn, rows, views)
            print(f"\r{n:,}/{count:,} articles", end="", file=sys.stderr)
    _flush(conn, rows, views)
    print(" indexing…", file=sys.stderr)
    with archive.db.atomic():
        _clusters(conn, clusters)
        _crawls(conn, rng)
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
        conn.execute(trigger_sql)
    conn.execute("ANALYZE")
    archive.close()


def _flush(conn, rows: list, views: list) -> None:
    with conn:
        conn.executemany(
            "INSERT INTO articles (id, url, site, section, title, published_at, published_raw, "
            "published_precision, view_count, body, body_html, source, editor, content_hash, "
            "first_seen, last_seen, cluster_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO view_counts (article_id, observed_at, count, raw, method) "
            "VALUES (?, ?, ?, ?, 'page')",
            [(a, at, c, str(c)) for a, at, c in views],
        )
    rows.clear()
    views.clear()


def _clusters(conn, pairs: list[tuple[int, int]]) -> None:
    members: dict[int, list[int]] = {}
    for original, copy in pairs:
        members.setdefault(original, [original]).append(copy)
    for original, ids in members.items():
        marks = ", ".join("?" * len(ids))
        sites, first, last = conn.execute(
            f"SELECT json_group_array(DISTINCT site), min(published_at), max(published_at) "
            f"FROM articles WHERE id IN ({marks})",
            ids,
        ).fetchone()
        cluster_id = conn.execute(
            "INSERT INTO repost_clusters (original_id, size, sites, first_published, "
            "last_published) VALUES (?, ?, ?, ?, ?)",
            [original, len(ids), sites, first, last],
        ).lastrowid
        conn.execute(
            f"UPDATE articles SET cluster_id = ? WHERE id IN ({marks})", [cluster_id, *ids]
        )


def _crawls(conn, rng) -> None:
    """A nightly crawl per site for the last year, a few with errors or blocked by a challenge."""
    day = START + timedelta(days=365 * (YEARS - 1))
    while day < START + timedelta(days=365 * YEARS):
        for site, _, _ in SITES:
            blocked = rng.random() < 0.02
            errors = rng.choice([0, 0, 0, 1, 2, 5]) if not blocked else 1
            started = day.replace(hour=2, minute=rng.randint(0, 59))
            crawl_id = conn.execute(
                "INSERT INTO crawls (site, started_at, finished_at, finish_reason, pages, "
                "articles_new, errors, blocked, blocked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    site,
                    started.isoformat() + "+08:00",
                    (started + timedelta(minutes=rng.randint(2, 40))).isoformat() + "+08:00",
                    "blocked" if blocked else "finished",
                    rng.randint(10, 300),
                    rng.randint(0, 30),
                    errors,
                    1 if blocked else 0,
                    "瑞数" if blocked else None,
                ],
            ).lastrowid
            kinds = ["timeout", "http_error", "not_article"]
            conn.executemany(
                "INSERT INTO errors (crawl_id, at, url, kind, detail) VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        crawl_id,
                        started.isoformat() + "+08:00",
                        f"http://{site}.example/x{e}",
                        rng.choice(kinds),
                        "generated",
                    )
                    for e in range(errors)
                ],
            )
        day += timedelta(days=1)


# -- timing ----------------------------------------------------------------------------------
CPU: dict[float, float] = {}  # wall seconds of a measure → its CPU seconds


def best_of(func: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` runs (the CPU seconds of that run noted), and the last
    result. On a shared machine wall time includes waiting for a core; CPU time does not."""
    runs, result = [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = func()
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    wall, cpu = sorted(runs)[len(runs) // 2]
    CPU[wall] = cpu
    return wall, result


def like_per_word(conn, word: str) -> dict[str, int]:
    """Baseline and oracle: the SQL an analyst writes by hand for one word."""
    pattern = f"%{word}%"
    return dict(
        conn.execute(
            "SELECT substr(published_at, 1, 7) AS month, count(*) FROM articles "
            "WHERE published_at IS NOT NULL AND (title LIKE ? OR body LIKE ?) GROUP BY month",
            [pattern, pattern],
        ).fetchall()
    )


def check(result, conn, words: list[str]) -> None:
    for word in words:
        expected = like_per_word(conn, word)
        got = {r.period: r.articles for r in result.rows if r.word == word and r.articles}
        if got != expected:
            raise SystemExit(f"trends of {word!r} differ from the LIKE count")


def scanning(matcher: Matcher, term: str) -> str:
    """Baseline matcher: every short term looked for in every body (no m015 indexes)."""
    return "long" if len(term) >= 3 else "scan"


def bench(path: Path) -> list[tuple]:
    archive = Archive(path)
    conn = archive.db.conn
    series = [Series.of_word(w) for w in BENCH_WORDS]
    long_series = [s for s in series if len(s.name) >= 3]
    short_series = [s for s in series if len(s.name) < 3]
    presets = [p.series() for p in load_presets().values()]
    scan, _ = best_of(
        lambda: conn.execute(
            "SELECT substr(published_at, 1, 7) AS month, count(*) FROM articles "
            "WHERE published_at IS NOT NULL GROUP BY month"
        ).fetchall()
    )
    hand, _ = best_of(lambda: [like_per_word(conn, w) for w in BENCH_WORDS], repeat=1)
    hand_long, _ = best_of(lambda: [like_per_word(conn, s.name) for s in long_series], repeat=1)
    ours_all, result = best_of(lambda: trends(conn, series, "month"))
    check(result, conn, BENCH_WORDS)
    ours_long, _ = best_of(lambda: trends(conn, long_series, "month"))
    ours_short, short_result = best_of(lambda: trends(conn, short_series, "month"))
    kind = Matcher.kind
    Matcher.kind = scanning
    try:
        scanned, scanned_result = best_of(lambda: trends(conn, short_series, "month"))
        presets_scanned, _ = best_of(lambda: trends(conn, presets, "month"), repeat=1)
    finally:
        Matcher.kind = kind
    assert scanned_result.rows == short_result.rows
    ours_site, _ = best_of(lambda: trends(conn, series, "month", per_site=True))
    ours_week, _ = best_of(lambda: trends(conn, series, "week"))
    ours_presets, _ = best_of(lambda: trends(conn, presets, "month"))
    matches = {s.name: sum(r.articles for r in result.rows if r.word == s.name) for s in series}
    print(f"articles per word: {matches}", file=sys.stderr)
    archive.close()
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    cli = subprocess.run(
        [sys.executable, "-m", "pingan_crawler.cli", "trends", *BENCH_WORDS, "--db", str(path),
         "--format", "json"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    cli_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[cli_s] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    assert len(cli.stdout.splitlines()) == len(result.rows)
    n, k = len(BENCH_WORDS), len(short_series)
    return [
        (f"{n} words by month", ours_all, f"{n} LIKE scans by hand", hand),
        (f"{len(long_series)} words of 3+ characters", ours_long, "LIKE scans by hand", hand_long),
        (f"{k} words of 1–2 characters", ours_short, "one instr scan of every body", scanned),
        (f"{n} words by month, per site", ours_site, f"{n} LIKE scans by hand", hand),
        (f"{n} words by ISO week", ours_week, f"{n} LIKE scans by hand", hand),
        (
            f"all {len(presets)} presets by month",
            ours_presets,
            "the same, scanning bodies",
            presets_scanned,
        ),
        (f"`pingan trends` {n} words, whole command", cli_s, f"{n} LIKE scans by hand", hand),
        ("(reference) COUNT(*) per month, no words", scan, "–", scan),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="archive to create or reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "trends.db"
        have = Archive(path).db["articles"].count if path.exists() else 0
        if have != args.count:
            if have:
                raise SystemExit(f"{path} holds {have} articles, not {args.count}")
            started = time.monotonic()
            generate(path, args.count)
            print(f"generated {args.count:,} articles in {time.monotonic() - started:.0f} s")
        size = path.stat().st_size / 1e6
        print(f"archive: {args.count:,} articles, {size:,.0f} MB ({path})\n")
        results = bench(path)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average during the run: {load} on {os.cpu_count()} cores\n")
    print("| measure | ours: wall s (CPU s) | baseline | baseline: wall s (CPU s) | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for name, ours, base_name, base in results:
        met = "yes" if ours <= 2 else "**no**"
        print(
            f"| {name} | {ours:.3f} ({CPU.get(ours, 0):.3f}) | {base_name} | {base:.3f} "
            f"({CPU.get(base, 0):.3f}) | {base / ours:.2f}× faster | ≤ 2 s wall: {met} |"
        )


if __name__ == "__main__":
    main()
