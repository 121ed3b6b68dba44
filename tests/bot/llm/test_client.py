"""The OpenAI-compatible client against a scripted server on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.errors import ConfigError, LLMError, LLMUnavailableError
from bot.llm.client import LLMClient, LLMConfig, normalise_base_url
from tests.support.llm_server import LLMStandIn, Scripted

KEY = "sk-test-secret-0123456789"
ASK = [{"role": "user", "content": "What did Khamenei say?"}]


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
    ("http://127.0.0.1:11434/", "http://127.0.0.1:11434/v1"),
    ("http://localhost:8000/v1/", "http://localhost:8000/v1"),
    ("http://localhost:8000/v1/chat/completions", "http://localhost:8000/v1"),
    ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
    ("https://example.com/openai", "https://example.com/openai/v1"),
])
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize("bad", ["127.0.0.1:11434", "ftp://host/v1", "", "http://"])
def test_a_base_url_that_is_no_http_url_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="LLM_BASE_URL"):
        normalise_base_url(bad)


@pytest.fixture
def server() -> Iterator[LLMStandIn]:
    with LLMStandIn() as s:
        yield s


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def client(server: LLMStandIn, session: aiohttp.ClientSession, **kw: object) -> LLMClient:
    config = LLMConfig(base_url=normalise_base_url(server.root), model="Main-Model", api_key=SecretStr(KEY),
                       timeout_s=kw.pop("timeout_s", 5.0), fallback_models=kw.pop("fallback", ("small-model",)))  # type: ignore[arg-type]
    return LLMClient(config, session)


async def test_an_answer_names_its_model_and_the_key_goes_in_the_header_only(
        server: LLMStandIn, session: aiohttp.ClientSession) -> None:
    server.script(Scripted.answer("He said the talks were not wise [1]."))
    done = await client(server, session).complete(ASK)
    assert (done.text, done.model, done.failures) == ("He said the talks were not wise [1].", "Main-Model", ())
    (req,) = server.requests
    assert req.path == "/v1/chat/completions" and req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.body["model"] == "Main-Model" and req.body["messages"] == ASK and req.body["temperature"] == 0


@pytest.mark.parametrize("first", [Scripted.error(429, "slow down"), Scripted.error(503), Scripted(hang=True)])
async def test_a_429_a_5xx_or_a_timeout_moves_to_the_fallback_model(
        server: LLMStandIn, session: aiohttp.ClientSession, first: Scripted, caplog: pytest.LogCaptureFixture) -> None:
    server.script(first, Scripted.answer("ok [1]."))
    with caplog.at_level(logging.DEBUG):
        done = await client(server, session, timeout_s=0.5).complete(ASK)
    assert done.model == "small-model" and len(done.failures) == 1 and done.failures[0].startswith("Main-Model: ")
    assert [r.body["model"] for r in server.requests] == ["Main-Model", "small-model"]
    assert KEY not in caplog.text and "trying the next" in caplog.text


async def test_every_model_failing_is_unavailable(server: LLMStandIn, session: aiohttp.ClientSession) -> None:
    server.script(Scripted.error(500), Scripted.error(502))
    with pytest.raises(LLMUnavailableError) as failed:
        await client(server, session).complete(ASK)
    assert "Main-Model: HTTP 500" in str(failed.value) and "small-model: HTTP 502" in str(failed.value)
    assert KEY not in str(failed.value)


async def test_a_refusal_is_not_retried_on_the_fallback(server: LLMStandIn, session: aiohttp.ClientSession) -> None:
    server.script(Scripted.error(404, "model 'Main-Model' not found, try pulling it first"))
    with pytest.raises(LLMError, match="HTTP 404: model 'Main-Model' not found") as refused:
        await client(server, session).complete(ASK)
    assert not isinstance(refused.value, LLMUnavailableError) and len(server.requests) == 1


@pytest.mark.parametrize(("reply", "message"), [
    (Scripted(body=b"{not json"), "not JSON"),
    (Scripted(body=b'{"choices": []}'), "no choice"),
    (Scripted(body=b'{"choices": [{"message": {"content": null}}]}'), "answered nothing"),
    (Scripted.answer("   "), "answered nothing"),
    (Scripted(body=b"[1, 2]"), "no choice"),
    (Scripted(body=b"[" * 200_000 + b"]" * 200_000), "not JSON"),  # deeper than the parser goes
    (Scripted(body=b'{"choices": [{"message": {"content": "\xff\xfe"}}]}'), "not JSON"),  # not UTF-8
    (Scripted(body=b'{"choices": [{"message": {"content": [{"type": "text"}]}}]}'), "answered nothing"),
    (Scripted(body=b"x" * 1_000_001), "over 1,000,000 bytes"),
    (Scripted(status=400, body=b"[" * 200_000), "HTTP 400"),
])
async def test_unusable_answers_are_clear_errors(server: LLMStandIn, session: aiohttp.ClientSession,
                                                 reply: Scripted, message: str) -> None:
    server.script(reply)
    with pytest.raises(LLMError, match=message):
        await client(server, session).complete(ASK)


async def test_a_server_that_is_down_is_unavailable(session: aiohttp.ClientSession) -> None:
    with LLMStandIn() as gone:
        root = gone.root
    config = LLMConfig(base_url=normalise_base_url(root), model="m", timeout_s=2)
    with pytest.raises(LLMUnavailableError, match="connection problem"):
        await LLMClient(config, session).complete(ASK)


async def test_a_long_answer_is_read_whole(server: LLMStandIn, session: aiohttp.ClientSession) -> None:
    text = "Khamenei rejected the talks [1]. " * 20_000  # about 660 kB: many reads of the socket
    server.script(Scripted.answer(text))
    assert (await client(server, session).complete(ASK)).text == text
