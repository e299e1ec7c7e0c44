"""A small news site of our own on 127.0.0.1 whose articles a test edits, takes down, moves,
restores and guards between runs: the ground truth for ``pingan recheck``.

平安东湖网 (an invented site, our own words): a homepage, one section list (新闻中心) and its
articles. Half the articles are static pages with ETag and Last-Modified (as nginx serves a
TRS or DedeCMS site's generated HTML) and answer 304 to a matching conditional request; the
other half are dynamic (as an ASP page): no validators, a view count that grows with every
request, the time in the footer and a "hot list" sidebar that rotates. The server logs every
request with its conditional headers.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SITE = "平安东湖网"
SECTION = "/xwzx/"
SOURCES = ("东湖市公安局", "东湖日报", "市委政法委", "东湖市检察院")
EDITORS = ("周明远", "林晓", "陈嘉禾", "吴思")
TOPICS = (
    ("东湖警方破获一起跨省电信网络诈骗案", "反诈中心"),
    ("市政法委召开平安建设推进会", "会议"),
    ("南湖派出所开展校园安全宣传周活动", "宣传"),
    ("东湖检察院依法起诉一批涉黑案件", "检察"),
    ("交警支队集中整治电动自行车违法行为", "交通"),
    ("社区网格员协助找回走失老人", "社区"),
    ("全市开展防范养老诈骗专项行动", "专项"),
    ("东湖法院发布年度十大典型案例", "法院"),
    ("禁毒志愿者走进企业讲授识毒防毒知识", "禁毒"),
    ("市公安局举行新警入职宣誓仪式", "队伍"),
    ("消防救援支队开展高层建筑灭火演练", "消防"),
    ("司法所调解一起邻里宅基地纠纷", "调解"),
)
# A challenge page like 瑞数's (412, a $_ts bootstrap script), in our own bytes.
RUISHU_BODY = (
    b"<!DOCTYPE html><html><head><meta charset='utf-8'><meta r='m'>"
    b"<script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=43121;$_ts.cd='qAbXcY';</script>"
    b"<script src='/Wk9x2Lq/c.FxJzG50F.dfe1675.js' r='m'></script></head><body></body></html>"
)


def http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


@dataclass
class Article:
    """One article as the site shows it now; the test edits these fields."""

    number: int
    title: str
    date: str
    source: str
    editor: str
    author: str
    paragraphs: list[str]
    static: bool  # served with ETag/Last-Modified (and 304s), else dynamic
    views: int = 100
    modified: float = field(default_factory=lambda: time.time() - 86400)

    @property
    def path(self) -> str:
        return f"{SECTION}202406/t20240{self.number % 9 + 1}15_{1000 + self.number}.html"


@dataclass
class Answer:
    """What a path answers instead of its article (a takedown, a redirect, a challenge)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class NewsSite:
    """``with NewsSite() as site: site.base_url`` serves the site until exit."""

    def __init__(self, articles: int = 10):
        self.articles = [self._article(n) for n in range(articles)]
        self.answers: dict[str, Answer] = {}  # path → what it answers instead
        self.moved: dict[str, str] = {}  # new path → article path (an article moved)
        self.log: list[tuple[str, str | None, str | None, int]] = []  # path, INM, IMS, status
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None  # made by start(); pages render without
        self._requests = 0
        self.clock = time.time  # the time in the footers (tests may set it)

    # -- what the test does between runs ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the site first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def list_url(self) -> str:
        return self.base_url + SECTION

    def url(self, n: int) -> str:
        return self.base_url + self.articles[n].path

    def edit(self, n: int, **fields) -> None:
        """Change an article's fields (title=…, paragraphs=…): a new Last-Modified and ETag."""
        with self._lock:
            article = self.articles[n]
            for name, value in fields.items():
                setattr(article, name, value)
            article.modified = time.time()

    def take_down(self, n: int, status: int = 404) -> None:
        body = b"<html><head><title>404</title></head><body>Not Found</body></html>"
        self._answer(n, Answer(status, body, {"Content-Type": "text/html"}))

    def soft_delete(self, n: int) -> None:
        """200, the site's full chrome around "对不起，您访问的信息不存在或已被删除！"."""
        notice = "<div class='notice'><p>对不起，您访问的信息不存在或已被删除！</p>"
        notice += "<p><a href='/'>返回首页</a></p></div>"
        body = self._chrome("提示信息", notice).encode("utf-8")
        self._answer(n, Answer(200, body, {"Content-Type": "text/html; charset=utf-8"}))

    def redirect(self, n: int, to: str, status: int = 302) -> None:
        self._answer(n, Answer(status, b"", {"Location": to}))

    def move(self, n: int, new_path: str) -> None:
        """The article now lives at ``new_path``; its old URL redirects there (301)."""
        with self._lock:
            self.moved[new_path] = self.articles[n].path
        self.redirect(n, new_path, 301)

    def challenge(self, n: int) -> None:
        headers = {"Content-Type": "text/html", "Set-Cookie": "NfBCSins2OywS=9f1e; path=/"}
        self._answer(n, Answer(412, RUISHU_BODY, headers))

    def serve_homepage(self, n: int) -> None:
        """The article's URL answers 200 with the homepage (a takedown without a 404)."""
        self._answer(n, Answer(200, self.homepage(), {"Content-Type": "text/html; charset=utf-8"}))

    def fail(self, n: int, status: int = 500) -> None:
        self._answer(n, Answer(status, b"server error", {"Content-Type": "text/plain"}))

    def restore(self, n: int) -> None:
        with self._lock:
            self.answers.pop(self.articles[n].path, None)

    def _answer(self, n: int, answer: Answer) -> None:
        with self._lock:
            self.answers[self.articles[n].path] = answer

    def requests_for(self, n: int) -> list[tuple[str, str | None, str | None, int]]:
        """The logged requests of article ``n``'s path."""
        return [entry for entry in self.log if entry[0] == self.articles[n].path]

    def article_requests(self) -> list[tuple[str, str | None, str | None, int]]:
        paths = {a.path for a in self.articles} | set(self.moved)
        return [entry for entry in self.log if entry[0] in paths]

    def forget_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- pages -----------------------------------------------------------------------------------
    @staticmethod
    def _article(n: int) -> Article:
        title, topic = TOPICS[n % len(TOPICS)]
        paragraphs = [
            f"本网讯（记者 {EDITORS[n % 4][0]}文）近日，{title[:6]}相关工作取得新进展，"
            f"{topic}工作人员介绍了具体情况。",
            f"据介绍，此次行动共抓获犯罪嫌疑人{12 + n}名，查扣涉案资金{30 + n}万元，"
            f"有力震慑了违法犯罪分子。",
            "下一步，有关部门将继续加大工作力度，坚持打防并举，切实维护人民群众合法权益，"
            "为建设更高水平的平安东湖贡献力量。",
            f"市民如发现相关线索，可拨打举报电话0571-8{n:03d}6110，或登录本网“我要举报”栏目反映。",
        ]
        return Article(
            number=n,
            title=title,
            date=f"2024-06-{n % 9 + 1:02d} {9 + n % 8:02d}:30",
            source=SOURCES[n % 4],
            editor=EDITORS[(n + 1) % 4],
            author=f"通讯员 {EDITORS[(n + 2) % 4]}",
            paragraphs=paragraphs,
            static=n % 2 == 0,
        )

    def _chrome(self, title: str, main: str, rotation: int = 0, made: float | None = None) -> str:
        """The page around ``main``: a rotating hot list, and the time now in the footer
        (a static page says when it was generated instead)."""
        hot = list(self.articles)
        hot = hot[rotation % len(hot) :] + hot[: rotation % len(hot)]
        sidebar = "".join(f"<li><a href='{a.path}'>{a.title}</a></li>" for a in hot[:5])
        now = time.strftime("%Y年%m月%d日 %H:%M:%S", time.localtime(made or self.clock()))
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}_{SITE}</title></head><body>"
            "<div class='top'><a href='/'>首页</a> <a href='/xwzx/'>新闻中心</a> "
            "<a href='/jwgk/'>警务公开</a> <a href='/bmfw/'>便民服务</a></div>"
            f"<div class='wrap'><div class='side'><h3>热点排行</h3><ul>{sidebar}</ul></div>"
            f"<div class='main'>{main}</div></div>"
            "<div class='footer'><p>主办：东湖市委政法委员会 地址：东湖市人民路1号</p>"
            f"<p>当前时间：{now}</p></div></body></html>"
        )

    def article_page(self, article: Article) -> bytes:
        article.views += 1
        body = "".join(f"<p>{p}</p>" for p in article.paragraphs)
        views = f" 浏览次数：{article.views}" if not article.static else ""
        main = (
            "<div class='position'>当前位置：<a href='/'>首页</a> &gt; "
            "<a href='/xwzx/'>新闻中心</a></div>"
            f"<h1 class='title'>{article.title}</h1>"
            f"<div class='info'>发布时间：{article.date} 来源：{article.source} "
            f"作者：{article.author}{views}</div>"
            f"<div class='content' id='zoom'>{body}</div>"
            f"<div class='editor'>责任编辑：{article.editor}</div>"
        )
        if article.static:
            return self._chrome(article.title, main, made=article.modified).encode("utf-8")
        return self._chrome(article.title, main, rotation=self._requests).encode("utf-8")

    def list_page(self) -> bytes:
        rows = "".join(
            f"<li><a href='{a.path}'>{a.title}</a><span>{a.date[:10]}</span></li>"
            for a in self.articles
        )
        return self._chrome("新闻中心", f"<h2>新闻中心</h2><ul class='list'>{rows}</ul>").encode()

    def homepage(self) -> bytes:
        """A front page: headlines with their lead paragraphs, and a notice board."""
        teasers = "".join(
            f"<div class='teaser'><h3><a href='{a.path}'>{a.title}</a></h3>"
            f"<p>{a.paragraphs[0]}</p></div>"
            for a in self.articles[-3:]
        )
        board = (
            "<div class='board'><h3>通知公告</h3><p>关于开展二〇二四年度平安建设满意度调查的公告："
            "为了解群众对平安建设工作的意见和建议，市委政法委将于近期开展入户调查，请广大市民"
            "支持配合。</p><p>本网将于每周五晚间进行系统维护，届时部分栏目可能无法访问。</p></div>"
        )
        main = f"<h2>欢迎访问平安东湖网</h2><div class='news'>{teasers}</div>{board}"
        return self._chrome("首页", main).encode()

    # -- serving ---------------------------------------------------------------------------------
    def answer(self, raw_path: str, headers) -> tuple[int, dict[str, str], bytes]:
        """What the site answers ``raw_path`` (with its query) now."""
        self._requests += 1
        html = {"Content-Type": "text/html; charset=utf-8"}
        if raw_path in self.answers:
            answer = self.answers[raw_path]
            return answer.status, answer.headers, answer.body
        path = urlsplit(raw_path).path
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /admin/\n"
        if path in ("/", "/index.html"):
            return 200, html, self.homepage()
        if path in (SECTION, SECTION + "index.html"):
            return 200, html, self.list_page()
        path = self.moved.get(path, path)
        article = next((a for a in self.articles if a.path == path), None)
        if article is None:
            return 404, html, b"<html><head><title>404</title></head><body>404</body></html>"
        if not article.static:
            return 200, html, self.article_page(article)
        body = self.article_page(article)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = http_date(article.modified)
        validators = {**html, "ETag": etag, "Last-Modified": modified}
        if headers.get("If-None-Match") == etag or (
            not headers.get("If-None-Match") and headers.get("If-Modified-Since") == modified
        ):
            return 304, validators, b""
        return 200, validators, body

    def start(self) -> NewsSite:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> NewsSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with site._lock:
                    status, headers, body = site.answer(self.path, self.headers)
                    site.log.append(
                        (
                            path,
                            self.headers.get("If-None-Match"),
                            self.headers.get("If-Modified-Since"),
                            status,
                        )
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
