"""A local HTTP server with the pages the capture tests need, in a thread of the test."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

QUOTE = "We will never send troops to that country"
PAGE_WITH_QUOTE = f"""<!doctype html><html><head><title>Statement</title>
<script>document.cookie = "stolen=1"</script></head>
<body><nav>Home · News</nav><article><h1>Statement by the ministry</h1>
<p>The minister said: “{QUOTE}”, and repeated it twice.</p>
<p>Other business followed.</p></article></body></html>"""
PAGE_WITHOUT_QUOTE = """<!doctype html><html><head><title>Other</title></head>
<body><article><p>Nothing of the kind was said here today.</p></article></body></html>"""
MB = 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []  # (path, headers) of every request, for tests that check what was sent

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: C901 - one branch per test page
        Handler.seen.append((self.path, dict(self.headers)))
        path = self.path
        server = self.server
        if path == "/quote":
            self._send(200, PAGE_WITH_QUOTE.encode())
        elif path == "/changed":
            self._send(200, server.changing_page.encode())
        elif path == "/noquote":
            self._send(200, PAGE_WITHOUT_QUOTE.encode())
        elif path == "/redirect":
            self._send(302, headers=[("Location", "/quote")])
        elif path == "/to-loopback":
            self._send(
                302, headers=[("Location", f"http://127.0.0.1:{server.loopback_port}/quote")]
            )
        elif path == "/missing":
            self._send(404, b"<p>Not here</p>")
        elif path == "/flaky":
            server.flaky_calls += 1
            if server.flaky_calls <= server.flaky_failures:
                self._send(503, b"busy")
            else:
                self._send(200, PAGE_WITH_QUOTE.encode())
        elif path == "/slow":
            time.sleep(server.slow_seconds)
            self._send(200, PAGE_WITH_QUOTE.encode())
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the client must count as it reads
            chunk = b"x" * MB
            try:
                for _ in range(50):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif path.startswith("/page/"):
            self._send(200, PAGE_WITH_QUOTE.replace("Statement", path).encode())
        else:
            self._send(404, b"no such test page")


class PageServer:
    def __init__(self, host="127.0.0.1"):
        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.loopback_port = self.httpd.server_address[1]
        self.httpd.flaky_calls = 0
        self.httpd.flaky_failures = 1
        self.httpd.slow_seconds = 3
        self.httpd.changing_page = PAGE_WITH_QUOTE
        self.host, self.port = self.httpd.server_address[:2]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path):
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
