"""A local OpenAI-compatible stand-in on 127.0.0.1 (``POST /v1/chat/completions``), scripted per
test: each request takes the next scripted reply (a faithful answer, a 429, a 500, malformed JSON,
an empty choice, or a hang past the client's timeout), else ``respond(body)`` when set (a reply
made from the prompt's numbered sources). Requests are recorded with their headers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    body: bytes = b""
    hang: bool = False  # answer nothing until the server stops

    @staticmethod
    def answer(text: str, model: str = "scripted") -> Scripted:
        return Scripted(body=json.dumps({
            "id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }).encode())

    @staticmethod
    def error(status: int, message: str = "scripted failure") -> Scripted:
        return Scripted(status=status, body=json.dumps({"error": {"message": message}}).encode())


def source_lines(body: dict[str, Any]) -> dict[int, str]:
    """The numbered source sentences of a request's prompt: ``{n: sentence}`` (outlet removed)."""
    prompt = body["messages"][-1]["content"]
    out: dict[int, str] = {}
    for line in prompt.splitlines():
        m = re.match(r"\[(\d+)\] \([^)]*\) (.*)$", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class LLMStandIn:
    def __init__(self) -> None:
        self._script: list[Scripted] = []
        self.respond: Callable[[dict[str, Any]], Scripted] | None = None  # answers when nothing is scripted
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                with owner._lock:
                    owner.requests.append(Request(self.path, dict(self.headers), body))
                    if owner._script:
                        reply = owner._script.pop(0)
                    elif owner.respond is not None:
                        reply = owner.respond(body)
                    else:
                        reply = Scripted.error(500, "nothing scripted")
                if self.path != "/v1/chat/completions":
                    reply = Scripted.error(404, f"no route {self.path}")
                if reply.hang:
                    owner._stopping.wait()
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> LLMStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def root(self) -> str:
        """The server's root, without ``/v1`` (as admins often write it)."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *replies: Scripted) -> None:
        with self._lock:
            self._script.extend(replies)
