"""The chat-completions client: one request per model, the fallback models in order on a timeout,
a 429 or a 5xx (not on other 4xx: the same request would fail again), and clear errors for
malformed answers. The API key goes in the Authorization header only and is never logged."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from pydantic import SecretStr

from bot.errors import ConfigError, LLMError, LLMUnavailableError

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1_000_000
_VERSIONED = re.compile(r"/v\d+$")


def normalise_base_url(url: str) -> str:
    """The API root, ending in its version: ``http://127.0.0.1:11434`` -> ``.../v1`` (a missing
    ``/v1`` is the most common set-up error), ``.../v1/chat/completions`` -> ``.../v1``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"LLM_BASE_URL must be an http(s) URL such as http://127.0.0.1:11434/v1, got {url[:100]!r}")
    path = parts.path.rstrip("/")
    for tail in ("/chat/completions", "/completions", "/models"):
        if path.endswith(tail):
            path = path[: -len(tail)]
    if not _VERSIONED.search(path):
        path += "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True, slots=True)
class LLMConfig:
    base_url: str  # normalised
    model: str
    api_key: SecretStr | None = None
    timeout_s: float = 30.0
    fallback_models: tuple[str, ...] = ()
    max_tokens: int = 600

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model, *(m for m in self.fallback_models if m != self.model))


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str  # the model that answered (a fallback, maybe)
    failures: tuple[str, ...] = field(default=())  # why the models before it were passed over


class _Retryable(LLMError):
    pass


class LLMClient:
    def __init__(self, config: LLMConfig, session: aiohttp.ClientSession) -> None:
        self._config = config
        self._session = session

    @property
    def model(self) -> str:
        return self._config.model

    async def complete(self, messages: Sequence[dict[str, str]], *, max_tokens: int | None = None) -> Completion:
        """The first model's answer, or the next one's when it times out, is rate limited or fails
        on the server; :class:`LLMUnavailableError` when all do, :class:`LLMError` on a refusal
        (4xx) or an unusable answer."""
        tokens = max_tokens or self._config.max_tokens
        return await self._first(lambda model: self._once(model, messages, tokens))

    async def stream(self, messages: Sequence[dict[str, str]], on_text: Callable[[str], Awaitable[None]], *,
                     max_tokens: int | None = None) -> Completion:
        """As :meth:`complete`, streamed: ``on_text`` gets the text so far as pieces arrive. The
        next model is tried only when one fails before its first piece; a stream that breaks off
        later is an :class:`LLMError`. A server that answers in one piece is read as such."""
        tokens = max_tokens or self._config.max_tokens
        started = False

        async def piece(text: str) -> None:
            nonlocal started
            started = True
            await on_text(text)

        return await self._first(lambda model: self._once(model, messages, tokens, on_text=piece), lambda: started)

    async def _first(self, attempt: Callable[[str], Awaitable[str]],
                     started: Callable[[], bool] = lambda: False) -> Completion:
        """``attempt`` with each model in turn until one answers."""
        failures: list[str] = []
        for model in self._config.models:
            try:
                text = await attempt(model)
            except _Retryable as exc:
                if started():
                    raise LLMError(f"the answer broke off ({exc})") from None
                failures.append(f"{model}: {exc}")
                log.warning("llm model %s failed (%s)%s", model, exc,
                            "; trying the next" if model != self._config.models[-1] else "")
                continue
            return Completion(text, model, tuple(failures))
        raise LLMUnavailableError("no model answered: " + "; ".join(failures))

    async def _once(self, model: str, messages: Sequence[dict[str, str]], max_tokens: int, *,
                    on_text: Callable[[str], Awaitable[None]] | None = None) -> str:
        headers = {"Content-Type": "application/json"}
        if self._config.api_key is not None:
            headers["Authorization"] = f"Bearer {self._config.api_key.get_secret_value()}"
        body = {"model": model, "messages": list(messages), "temperature": 0, "max_tokens": max_tokens,
                "stream": on_text is not None}
        url = f"{self._config.base_url}/chat/completions"
        if on_text is not None:
            return await self._streamed(url, body, headers, on_text)
        try:
            async with self._session.post(url, json=body, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=self._config.timeout_s)) as resp:
                raw = await _read_capped(resp.content, MAX_RESPONSE_BYTES + 1)
                status = resp.status
        except asyncio.TimeoutError:
            raise _Retryable(f"no answer within {self._config.timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise _Retryable(f"connection problem: {exc.__class__.__name__}") from None
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}")
        if status >= 400:
            raise LLMError(f"the model server refused the request (HTTP {status}: {_detail(raw)})")
        if len(raw) > MAX_RESPONSE_BYTES:
            raise LLMError(f"the model's answer is over {MAX_RESPONSE_BYTES:,} bytes")
        return _content(raw)


    async def _streamed(self, url: str, body: dict[str, Any], headers: dict[str, str],
                        on_text: Callable[[str], Awaitable[None]]) -> str:
        """Server-sent events (``data: {chunk}`` lines, ``data: [DONE]``): the deltas joined. The
        timeout is the longest wait for the next piece, and 4 times it for the whole answer."""
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_s * 4, sock_read=self._config.timeout_s)
        text: list[str] = []
        try:
            async with self._session.post(url, json=body, headers=headers, timeout=timeout) as resp:
                if resp.status == 429 or resp.status >= 500:
                    raise _Retryable(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raw = await _read_capped(resp.content, 10_000)
                    raise LLMError(f"the model server refused the request (HTTP {resp.status}: {_detail(raw)})")
                if not resp.headers.get("Content-Type", "").startswith("text/event-stream"):
                    raw = await _read_capped(resp.content, MAX_RESPONSE_BYTES + 1)  # not streamed: one piece
                    if len(raw) > MAX_RESPONSE_BYTES:
                        raise LLMError(f"the model's answer is over {MAX_RESPONSE_BYTES:,} bytes")
                    whole = _content(raw)
                    await on_text(whole)
                    return whole
                size, pending = 0, b""
                async for chunk in resp.content.iter_any():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise LLMError(f"the model's answer is over {MAX_RESPONSE_BYTES:,} bytes")
                    *lines, pending = (pending + chunk).split(b"\n")
                    grew = False
                    finished = False
                    for line in lines:
                        piece, done = _event(line)
                        text.append(piece)
                        grew = grew or bool(piece)
                        finished = finished or done
                    if grew:
                        await on_text("".join(text))
                    if finished:
                        return _finished(text)
        except asyncio.TimeoutError:
            raise _Retryable(f"no answer within {self._config.timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise _Retryable(f"connection problem: {exc.__class__.__name__}") from None
        raise _Retryable("the stream ended before the answer did")  # no [DONE], no finish_reason


def _event(line: bytes) -> tuple[str, bool]:
    """One server-sent event line: its text delta ("" for comments, keep-alives and role-only
    chunks) and whether the answer is finished (``[DONE]``, or a ``finish_reason``)."""
    line = line.strip()
    if not line.startswith(b"data:"):
        return "", False
    payload = line[5:].strip()
    if payload == b"[DONE]":
        return "", True
    try:
        data: Any = json.loads(payload)
        choices = data.get("choices") or []  # a usage-only chunk has none
        choice = choices[0] if choices else {}
        piece = (choice.get("delta") or {}).get("content") or ""
        done = bool(choice.get("finish_reason"))
    except (ValueError, RecursionError, KeyError, IndexError, TypeError, AttributeError):
        raise LLMError("the model server's stream is not JSON chunks") from None
    if not isinstance(piece, str):
        raise LLMError("the model server's stream is not JSON chunks")
    return piece, done


def _finished(text: list[str]) -> str:
    whole = "".join(text)
    if not whole.strip():
        raise LLMError("the model answered nothing")
    return whole


async def _read_capped(content: aiohttp.StreamReader, cap: int) -> bytes:
    """The body up to ``cap`` bytes (``read(n)`` returns what is buffered, maybe far less)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= cap:
            break
    return b"".join(chunks)[:cap]


def _detail(raw: bytes) -> str:
    """The server's error message, short and on one line (``{"error": {"message": ...}}``)."""
    try:
        data = json.loads(raw)
        message = data["error"]["message"] if isinstance(data.get("error"), dict) else data.get("error")
    except (ValueError, RecursionError, AttributeError, KeyError, TypeError):
        message = raw[:200].decode("utf-8", "replace")
    return " ".join(str(message).split())[:200] or "no detail"


def _content(raw: bytes) -> str:
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):  # not UTF-8 or not JSON, or nested past the parser's depth
        raise LLMError("the model server's answer is not JSON") from None
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("the model server's answer has no choice with a message") from None
    if not isinstance(text, str) or not text.strip():
        raise LLMError("the model answered nothing")
    return text
