"""A local OpenAI-compatible stand-in on 127.0.0.1 (``POST /v1/chat/completions``), scripted per
test: each request takes the next scripted reply (a faithful answer, a 429, a 500, malformed JSON,
an empty choice, or a hang past the client's timeout), else ``respond(body)`` when set (a reply
made from the prompt's numbered sources). A request with ``"stream": true`` gets a 200 answer as
server-sent events, a few words per chunk, then ``data: [DONE]`` (unless the reply breaks off);
``hold`` pauses the stream after that many chunks until it is set. Requests are recorded with
their headers."""

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
    break_after: int | None = None  # streamed: close the connection after this many chunks
    hold_after: int | None = None  # streamed: wait for ``LLMStandIn.hold`` after this many chunks
    unstreamed: bool = False  # answer a streamed request in one JSON body, as some servers do

    @staticmethod
    def answer(text: str, model: str = "scripted", **streaming: Any) -> Scripted:
        """A chat completion of ``text``; ``streaming``: break_after, hold_after, unstreamed."""
        return Scripted(**streaming, body=json.dumps({
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
        self.hold = threading.Event()  # releases a stream held by ``Scripted.hold_after``
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
                if body.get("stream") and reply.status == 200 and not reply.unstreamed:
                    self._stream(reply)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def _stream(self, reply: Scripted) -> None:
                try:
                    text = json.loads(reply.body)["choices"][0]["message"]["content"]
                except (ValueError, KeyError, IndexError, TypeError):
                    text = None
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if text is None:  # a malformed or empty answer, sent as one event
                    self.wfile.write(b"data: " + reply.body + b"\n\n")
                    return
                words = re.findall(r"\S+\s*", text)
                pieces = ["".join(words[i:i + 3]) for i in range(0, len(words), 3)]
                for i, piece in enumerate(pieces):
                    if i == reply.hold_after:
                        owner.hold.wait(30)
                    if i == reply.break_after:
                        return
                    chunk = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

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
        self.hold.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def root(self) -> str:
        """The server's root, without ``/v1`` (as admins often write it)."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def script(self, *replies: Scripted) -> None:
        with self._lock:
            self._script.extend(replies)
