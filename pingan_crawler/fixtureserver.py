"""Serve a bundled sample site on 127.0.0.1, byte for byte, with its recorded headers.

A fixture directory holds ``routes.json`` (request path with query → file, status, headers) and
the files. The server answers only what is listed (anything else is an IIS-style 404), never
recodes a byte, and keeps a log of requests so tests can count what a crawl fetched.

The bundled sample (:data:`SAMPLE_SITE`) lives in the package, the test sites in
``tests/fixtures/``.

Hostile behaviours are route options (see ``tests/fixtures/hostile``): ``"delay": s`` answers
after s seconds, ``"fail_first": {"count": n, "status": 500, "headers": {...}}`` answers the first
n requests with that status (then the page), ``"truncate_to": n`` promises the whole body in
Content-Length but sends only n bytes and hangs up. A route without ``"file"`` has an empty body
(a redirect).

POST routes (Hanweb's ``dataproxy.jsp`` pages its lists by POST) are keyed ``"POST <path?query>"``
and hold ``{"forms": {<form key>: route}}``: the form key is the request body's fields sorted by
name and re-encoded (see :func:`form_key`), so a crawler may send the fields in any order. A POST
whose path or form is not listed gets the same 404.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

NOT_FOUND = b"<html><head><title>404</title></head><body><h1>HTTP 404</h1></body></html>"
# The bundled sample of 平安绍兴新闻网 (`pingan demo`, `pingan serve`): package data, so it is
# there in an installed wheel as in a checkout.
SAMPLE_SITE = Path(__file__).resolve().parent / "sample-sites" / "pasxw"


def form_key(body: str) -> str:
    """The canonical form of a urlencoded POST body: fields sorted by name, then re-encoded.

    Routes are looked up by this key so that field order and percent-encoding style do not matter.
    """
    return urlencode(sorted(parse_qsl(body, keep_blank_values=True)))


class FixtureServer:
    """``with FixtureServer(path) as server: server.base_url`` serves the site until exit."""

    def __init__(
        self, fixture_dir: str | Path, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0
    ):
        self.delay = delay  # seconds per response, to give tests time to interrupt a crawl
        self.fixture_dir = Path(fixture_dir)
        manifest = json.loads((self.fixture_dir / "routes.json").read_text("utf-8"))
        self.routes: dict[str, dict] = manifest["routes"]
        self.requests: list[tuple[str, str]] = []
        # (monotonic time, path, User-Agent) of every request, for timing and politeness checks
        self.request_log: list[tuple[float, str, str]] = []
        self._served: dict[str, int] = {}  # requests per path, for "fail_first"
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add_route(self, path: str, file: str, headers: dict[str, str], status: int = 200) -> None:
        """Serve one more page (tests use it to make the site grow between runs)."""
        with self._lock:
            self.routes[path] = {"file": file, "status": status, "headers": headers}

    def serve_as(self, path: str, other: str) -> None:
        """Answer ``path`` as the route ``other`` is answered (a page turned into a challenge)."""
        with self._lock:
            self.routes[path] = dict(self.routes[other])

    def start(self) -> FixtureServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "Microsoft-IIS/6.0"
            sys_version = ""

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(("GET", self.path))
                    route = server.routes.get(self.path)
                    agent = self.headers.get("User-Agent", "")
                    server.request_log.append((time.monotonic(), self.path, agent))
                    served = server._served[self.path] = server._served.get(self.path, 0) + 1
                self._answer(route, served)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("latin-1") if length else ""
                with server._lock:
                    server.requests.append(("POST", self.path))
                    forms = server.routes.get(f"POST {self.path}", {}).get("forms", {})
                    route = forms.get(form_key(body))
                    key = f"POST {self.path} {form_key(body)}"
                    served = server._served[key] = server._served.get(key, 0) + 1
                self._answer(route, served)

            def _answer(self, route: dict | None, served: int) -> None:
                if server.delay:
                    time.sleep(server.delay)
                if route is None:
                    self._send(404, {"Content-Type": "text/html"}, NOT_FOUND)
                    return
                if route.get("delay"):
                    time.sleep(route["delay"])
                failing = route.get("fail_first")
                if failing and served <= failing["count"]:
                    self._send(failing["status"], failing.get("headers", {}), b"")
                    return
                file = route.get("file")
                body = (server.fixture_dir / file).read_bytes() if file else b""
                self._send(
                    route.get("status", 200),
                    route.get("headers", {}),
                    body,
                    route.get("truncate_to"),
                )

            def _send(
                self,
                status: int,
                headers: dict[str, str],
                body: bytes,
                truncate_to: int | None = None,
            ) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "server":  # send_response already sent ours
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                try:
                    self.end_headers()
                    # truncate_to: the connection drops before the promised length arrives
                    self.wfile.write(body if truncate_to is None else body[:truncate_to])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a size limit, a timeout): its business
                if truncate_to is not None:
                    self.close_connection = True

            def log_message(self, *args) -> None:  # the request log above is the record
                pass

        return Handler
