"""A tiny HTTP server on 127.0.0.1 in its own thread, for tests whose code blocks (synchronous
tests driving a bot process): serves bytes set per path, counts requests."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StaticServer:
    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                with owner._lock:
                    owner.hits[self.path] += 1
                    found = owner._files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                body, ctype = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def set(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        with self._lock:
            self._files[path] = (body, content_type)
        return self.url(path)
