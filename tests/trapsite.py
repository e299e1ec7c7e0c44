"""A crawler-trap site of our own, served on 127.0.0.1 by the tests (and by hand:
``python tests/trapsite.py --port 8799``).

Nothing here is a profile site: it is crawled with ``--start-url``, so every defence it
exercises is the one a site nobody wrote a profile for gets. Its pages are generated (session
ids and calendars cannot be static files), in our own words. Every request is logged with the
Host it was sent to, so a test counts requests per trap, and offsite requests (anything sent
to a host other than the one we serve as) show up.

Traps (path prefix → what it does):

- ``/sid/``: a session id (``sid=<random token>``) on every link, fresh on each page load; the
  last list page's 下一页 leads back to itself under a new id.
- ``/calendar/``: an endless calendar: each day's page lists ten fresh URLs that all serve the
  same body, and 下一页 leads to the day before, forever.
- ``/notice/``: an endless pager that repeats itself: ``?page=N`` lists the same six articles
  for every N and always links ``page=N+1``.
- ``/bulletin/``: an endless pager whose article URLs change with the page (``&from=N``) while
  their bodies stay the same.
- ``/jqtb/``: an ordinary section (two list pages) whose articles include an offsite redirect,
  redirects to ``javascript:`` and ``file:``, a meta-refresh loop, a gzip bomb, an article
  claiming 共1000页 (each page links the next), a headline holding markup and SQL, and a body
  nested 20,000 ``<div>``s deep.
- ``/xxgk/``, ``/bsdt/``: nav links that answer 404.
- ``/limit/``: a section whose articles answer 429 with ``Retry-After: 3600`` (``slow1``) and
  503 with ``Retry-After: 300`` (``slow2``).
- ``/huge/``: one list page of 200,000 links (parsing it takes a while).

``TrapSite(home="plain")`` serves instead a homepage whose nav leads to one ordinary section
and the two 404s: a crawl of it fails nothing but links guessed by heuristics.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import html
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NAV = [
    ("/jqtb/index.html", "警情通报"),
    ("/sid/list.asp", "会员专栏"),
    ("/calendar/2024-06-30.html", "值班日历"),
    ("/notice/list.asp?page=1", "通知公告"),
    ("/bulletin/list.asp?p=1", "工作简报"),
    ("/xxgk/index.html", "信息公开"),
    ("/bsdt/index.html", "办事大厅"),
]
GOOD = {  # the ordinary articles of /jqtb/: name → (title, date)
    "0601_patrol": ("城东派出所开展夜间巡逻防控行动", "2024-06-01"),
    "0602_fraud": ("反诈宣传进社区 守护群众钱袋子", "2024-06-02"),
    "0603_school": ("护学岗每日守候校园周边交通安全", "2024-06-03"),
    "0604_fire": ("消防救援站组织高层建筑灭火演练", "2024-06-04"),
    "0605_mediate": ("人民调解员化解邻里漏水纠纷一起", "2024-06-05"),
    "0606_drill": ("公交车防暴处置演练在枢纽站举行", "2024-06-06"),
    "0607_lost": ("民警帮助走失老人平安回家团聚", "2024-06-07"),
}
HOSTILE = {  # the trap articles of /jqtb/: name → link text on the list
    "offsite": "外链跳转的一篇报道标题文字",
    "to_js": "跳转到脚本地址的报道标题",
    "to_file": "跳转到本地文件的报道标题",
    "refresh_a": "自动刷新循环的报道标题文字",
    "bomb": "压缩炸弹页面的报道标题文字",
    "story": "长篇连载：平安建设二十年回顾",
    "inject": "标题里夹带脚本与数据库语句的报道",
    "nested": "层层嵌套两万层的报道页面",
}
INJECTED_TITLE = "<script>alert('x')</script>'; DROP TABLE articles;-- 平安夜市开张"
STORY_PAGES = 1000
HUGE_LINKS = 200_000
BOMB_SIZE = 40 * 1024 * 1024  # decompressed; DOWNLOAD_MAXSIZE is 16 MB
_SENTENCES = (
    "社区民警走访辖区商户，逐户讲解防范知识。",
    "工作人员现场答疑，群众纷纷点赞。",
    "下一步，将持续加大巡查力度，筑牢安全防线。",
    "活动共发放宣传资料三百余份，覆盖居民两千余户。",
    "相关负责人表示，平安建设离不开每一位居民的参与。",
)


def page(title: str, content: str, head: str = "") -> bytes:
    nav = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in NAV)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}_平安示范网</title>{head}</head><body>"
        f'<div class="top"><div class="logo">平安示范网</div><div class="nav"><ul>'
        f'<li><a href="/">首页</a></li>{nav}</ul></div></div>'
        f'<div class="main">{content}</div>'
        '<div class="footer"><a href="/about.html">关于我们</a> 版权所有 平安示范网</div>'
        "</body></html>"
    ).encode()


def article_page(title: str, date: str, paragraphs: list[str], extra: str = "") -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return page(
        title,
        f'<div class="article"><h1>{html.escape(title)}</h1>'
        f'<div class="info">发布时间：{date} 09:30 来源：平安示范网 编辑：林晓</div>'
        f'<div class="content">{body}</div>{extra}</div>',
    )


def list_page(title: str, rows: list[tuple[str, str, str]], pager: str = "") -> bytes:
    items = "".join(
        f'<li><a href="{href}">{html.escape(text)}</a><span>{date}</span></li>'
        for href, text, date in rows
    )
    return page(
        title,
        f'<div class="list"><h2>{title}</h2><ul>{items}</ul><div class="pages">{pager}</div></div>',
    )


def paragraphs(seed: str, count: int = 4) -> list[str]:
    """A few sentences that differ with ``seed`` (each article its own body)."""
    return [f"{seed}：{_SENTENCES[(i + len(seed)) % len(_SENTENCES)]}" for i in range(count)]


class TrapSite:
    """``with TrapSite() as site: site.url("/")`` serves the traps until exit."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, home: str = "traps"):
        self.home_kind = home
        # (monotonic time, Host header, path) of every request
        self.log: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._bomb = gzip.compress(b"<html><body>" + b" " * BOMB_SIZE, compresslevel=9)
        self._huge: bytes | None = None
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("http://")

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self, prefix: str = "/") -> list[str]:
        """Paths requested from our own host, in order, starting with ``prefix``."""
        with self._lock:
            return [p for _t, host, p in self.log if host == self.netloc and p.startswith(prefix)]

    def offsite(self) -> list[tuple[str, str]]:
        """(Host, path) of every request sent to another host's name."""
        with self._lock:
            return [(host, p) for _t, host, p in self.log if host != self.netloc]

    def __enter__(self) -> TrapSite:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- the pages ---------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET."""
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"
        if path == "/":
            return 200, html_type, self.home()
        if path == "/stolen.html":  # the offsite redirect's target: never to be fetched
            return 200, html_type, article_page("别站的页面", "2024-06-08", paragraphs("别站"))
        for prefix, method in (
            ("/jqtb/", self.jqtb),
            ("/sid/", self.sid),
            ("/calendar/", self.calendar),
            ("/notice/", self.notice),
            ("/bulletin/", self.bulletin),
            ("/limit/", self.limit),
            ("/huge/", self.huge),
        ):
            if path.startswith(prefix):
                answer = method(path, query)
                if answer is not None:
                    if isinstance(answer, bytes):
                        return 200, html_type, answer
                    return answer
        return 404, html_type, page("404", "<h1>HTTP 404 您访问的页面不存在</h1>")

    def home(self) -> bytes:
        if self.home_kind == "plain":
            nav = [NAV[0], *NAV[-2:]]
            links = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in nav)
            return (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>平安示范网</title>'
                f'</head><body><div class="nav"><ul><li><a href="/">首页</a></li>{links}</ul>'
                "</div><p>欢迎访问平安示范网。</p></body></html>"
            ).encode()
        rows = [(f"/jqtb/2024/06/{name}.html", title, date) for name, (title, date) in GOOD.items()]
        return list_page("首页", rows[:4])

    def jqtb(self, path: str, query: dict) -> bytes | tuple | None:
        if path == "/jqtb/index.html":
            rows = [(f"/jqtb/2024/06/{n}.html", t, d) for n, (t, d) in list(GOOD.items())[:4]]
            if self.home_kind == "traps":
                rows += [(f"/jqtb/2024/06/{n}.html", t, "2024-06-08") for n, t in HOSTILE.items()]
            return list_page("警情通报", rows, '<a href="index_1.html">下一页</a> 共2页')
        if path == "/jqtb/index_1.html":
            rows = [(f"/jqtb/2024/06/{n}.html", t, d) for n, (t, d) in list(GOOD.items())[4:]]
            return list_page("警情通报", rows, '<a href="index.html">上一页</a> 共2页')
        name = path.removeprefix("/jqtb/2024/06/").removesuffix(".html")
        if name in GOOD:
            title, date = GOOD[name]
            return article_page(title, date, paragraphs(title))
        if name == "offsite":
            # Another host name for this very server: a fetch of it would show in the log.
            port = self.netloc.rpartition(":")[2]
            return 302, {"Location": f"http://localhost:{port}/stolen.html"}, b""
        if name == "to_js":
            return 302, {"Location": "javascript:alert(document.cookie)"}, b""
        if name == "to_file":
            return 302, {"Location": "file:///etc/passwd"}, b""
        if name in ("refresh_a", "refresh_b"):
            other = "refresh_b" if name == "refresh_a" else "refresh_a"
            head = f'<meta http-equiv="refresh" content="0;url={other}.html">'
            return page("正在跳转", "<p>页面正在跳转，请稍候……</p>", head)
        if name == "bomb":
            headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
            return 200, headers, self._bomb
        if name == "inject":
            return article_page(INJECTED_TITLE, "2024-06-08", paragraphs("夜市"))
        if name == "nested":
            depth = 20_000
            body = (
                "<div>" * depth
                + "<p>深层嵌套的正文：社区夜间巡逻队今晚照常出发。</p>"
                + "</div>" * depth
            )
            return page("层层嵌套的报道", f"<h1>层层嵌套的报道</h1>{body}")
        if match := re.fullmatch(r"story(?:_(\d+))?", name):
            number = int(match.group(1) or 1)
            if number > STORY_PAGES:
                return None
            around = range(max(2, number - 4), min(STORY_PAGES, number + 5) + 1)
            links = " ".join(f'<a href="story_{n}.html">{n}</a>' for n in around if n != number)
            pager = (
                f'<div class="pages">共{STORY_PAGES}页 {links} '
                f'<a href="story_{number + 1}.html">下一页</a></div>'
            )
            return article_page(
                "长篇连载：平安建设二十年回顾",
                "2024-06-08",
                paragraphs(f"连载第{number}页"),
                pager,
            )
        return None

    def sid(self, path: str, query: dict) -> bytes | None:
        if path != "/sid/list.asp" and path != "/sid/show.asp":
            return None
        token = secrets.token_hex(12) + "a1"  # letters and digits, new on every load
        if path == "/sid/show.asp":
            number = int(query.get("id", "0"))
            if not 1001 <= number <= 1010:
                return None
            title = f"会员专栏第{number - 1000}篇：网格员的一天"
            return article_page(title, "2024-05-20", paragraphs(title))
        number = int(query.get("page", "1"))
        first = 1001 if number == 1 else 1006
        rows = [
            (f"show.asp?id={n}&sid={token}", f"会员专栏第{n - 1000}篇：网格员的一天", "2024-05-20")
            for n in range(first, first + 5)
        ]
        following = 2  # the last page's 下一页 leads back to itself
        return list_page(
            "会员专栏", rows, f'<a href="list.asp?page={following}&sid={token}">下一页</a>'
        )

    def calendar(self, path: str, query: dict) -> bytes | None:
        if match := re.fullmatch(r"/calendar/(\d{4})-(\d{2})-(\d{2})\.html", path):
            day = time.mktime((int(match[1]), int(match[2]), int(match[3]), 12, 0, 0, 0, 0, -1))
            stamp = time.strftime("%Y-%m-%d", time.localtime(day))
            before = time.strftime("%Y-%m-%d", time.localtime(day - 86400))
            rows = [
                (f"/calendar/{stamp}/{n:02d}.html", f"{stamp} 值班安排第{n}项", stamp)
                for n in range(1, 11)
            ]
            return list_page(f"值班日历 {stamp}", rows, f'<a href="{before}.html">下一页</a>')
        if re.fullmatch(r"/calendar/\d{4}-\d{2}-\d{2}/\d{2}\.html", path):
            return article_page(
                "今日值班安排", "2024-06-30", ["值班领导：王队长。", "值班民警：三人。"] * 2
            )
        return None

    def notice(self, path: str, query: dict) -> bytes | None:
        if path == "/notice/list.asp":
            number = int(query.get("page", "1"))
            rows = [
                (f"show.asp?id={n}", f"关于开展第{n - 2000}期平安宣传周活动的通知", "2024-04-01")
                for n in range(2001, 2007)
            ]
            return list_page("通知公告", rows, f'<a href="list.asp?page={number + 1}">下一页</a>')
        if path == "/notice/show.asp":
            number = int(query.get("id", "0"))
            title = f"关于开展第{number - 2000}期平安宣传周活动的通知"
            return article_page(title, "2024-04-01", paragraphs(title))
        return None

    def bulletin(self, path: str, query: dict) -> bytes | None:
        if path == "/bulletin/list.asp":
            number = int(query.get("p", "1"))
            rows = [
                (
                    f"show.asp?id={n}&from={number}",
                    f"工作简报第{n - 3000}期：基层治理",
                    "2024-03-01",
                )
                for n in range(3001, 3007)
            ]
            return list_page("工作简报", rows, f'<a href="list.asp?p={number + 1}">下一页</a>')
        if path == "/bulletin/show.asp":
            number = int(query.get("id", "0"))
            title = f"工作简报第{number - 3000}期：基层治理"
            return article_page(title, "2024-03-01", paragraphs(title))
        return None

    def limit(self, path: str, query: dict) -> bytes | tuple | None:
        if path == "/limit/index.html":
            rows = [
                (f"/limit/2024/05/{name}.html", f"限流栏目里的第{i}篇报道标题", "2024-05-01")
                for i, name in enumerate(("ok1", "slow1", "slow2", "ok2"), 1)
            ]
            return list_page("限流栏目", rows)
        name = path.removeprefix("/limit/2024/05/").removesuffix(".html")
        html_type = "text/html; charset=utf-8"
        if name == "slow1":
            return 429, {"Retry-After": "3600", "Content-Type": html_type}, b"slow down"
        if name == "slow2":
            return 503, {"Retry-After": "300", "Content-Type": html_type}, b"maintenance"
        if name in ("ok1", "ok2"):
            title = f"限流栏目里的正常报道{name}"
            return article_page(title, "2024-05-01", paragraphs(title))
        return None

    def huge(self, path: str, query: dict) -> bytes | None:
        if path != "/huge/index.html":
            return None
        if self._huge is None:
            rows = "".join(
                f'<li><a href="/huge/01/{n}.html">第{n}条报道</a></li>' for n in range(HUGE_LINKS)
            )  # 9 MB, under DOWNLOAD_MAXSIZE
            self._huge = page("超长列表", f'<div class="list"><ul>{rows}</ul></div>')
        return self._huge

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "Microsoft-IIS/7.5"
            sys_version = ""

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with site._lock:
                    site.log.append((time.monotonic(), self.headers.get("Host", ""), self.path))
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, headers, body = site.answer(parts.path, query)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # unless the crawler gave up on it: its business

            def log_message(self, *args) -> None:
                pass

        return Handler


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8799)
    options = parser.parse_args()
    with TrapSite(port=options.port) as served:
        print(f"traps at {served.base_url}/ (Ctrl+C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
