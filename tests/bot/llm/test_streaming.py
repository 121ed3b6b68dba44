"""Streamed answers on a scripted server (server-sent events): while the model writes, the caller
is shown only sentences that passed the check, at most once per second, and only once the first
one has; the whole checked answer (or the offline one) follows. A stream that breaks off, or a
server that does not stream, leaves a correct answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot.language import Language
from bot.llm.answers import LLMAnswers
from bot.llm.client import LLMClient, LLMConfig, normalise_base_url
from summarizer.grounding import number_sentences
from summarizer.sentences import split_sentences
from summarizer.types import Answer
from tests.bot.llm.test_answers import DOCS, OUTLETS, QUESTION
from tests.support.llm_server import LLMStandIn, Scripted

FIRST = "Khamenei said negotiating directly with the United States would be 'neither wise nor honourable' [1]."
SECOND = "He argued that earlier deals with Washington had only led to more sanctions [4]."
INVENTED = "He called the talks “a trap for fools” [4]."


class Shown(list[Answer]):
    """The progress a caller was shown."""

    async def __call__(self, answer: Answer) -> None:
        self.append(answer)


class Ticks:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def server() -> Iterator[LLMStandIn]:
    with LLMStandIn() as s:
        yield s


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def answers(server: LLMStandIn, session: aiohttp.ClientSession, language: Language, *, step: float = 2.0,
            stream: bool = True) -> LLMAnswers:
    config = LLMConfig(base_url=normalise_base_url(server.root), model="Writer-8B", timeout_s=2.0,
                       fallback_models=("small-1b",))
    return LLMAnswers(LLMClient(config, session), language.answerer, stream=stream, monotonic=Ticks(step))


async def test_the_first_checked_sentence_is_shown_while_the_model_still_writes(
        server: LLMStandIn, session: aiohttp.ClientSession, language: Language) -> None:
    server.script(Scripted.answer(f"{FIRST} {SECOND}", hold_after=7))  # held inside the second sentence
    shown: list[Answer] = []
    first_shown = asyncio.Event()

    async def progress(answer: Answer) -> None:
        shown.append(answer)
        first_shown.set()

    task = asyncio.ensure_future(answers(server, session, language).run(QUESTION, DOCS, OUTLETS,
                                                                        on_progress=progress))
    await asyncio.wait_for(first_shown.wait(), 10)
    assert not task.done() and [a.text for a in shown] == [
        "Khamenei said negotiating directly with the United States would be 'neither wise nor honourable'. [1]"]
    server.hold.set()
    done = await task
    assert server.requests[0].body["stream"] is True
    assert done.model == "Writer-8B" and done.answer.text.endswith("led to more sanctions. [2]")
    assert len(done.answer.citations) == 2


async def test_a_sentence_that_fails_the_check_is_never_shown(server: LLMStandIn, session: aiohttp.ClientSession,
                                                              language: Language) -> None:
    server.script(Scripted.answer(f"{FIRST} {INVENTED} {SECOND}"))
    shown = Shown()
    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=shown)
    assert shown and all("trap for fools" not in a.text for a in shown)
    assert "trap for fools" not in done.answer.text and done.dropped == (
        "llm sentence 2 dropped: quote 'a trap for fools' not word for word in [4]",)


async def test_progress_is_shown_at_most_once_a_second(server: LLMStandIn, session: aiohttp.ClientSession,
                                                       language: Language) -> None:
    sources = number_sentences((d.id, OUTLETS[d.id], s.text, s.start, s.end)
                               for d in DOCS for s in split_sentences(d.text))
    shown = Shown()
    on_text = answers(server, session, language, step=0.3)._shower(sources, shown)
    text = ""
    for _ in range(5):  # a sentence more each time, 0.3 s apart (the clock moves 0.3 s a reading)
        text += f"{FIRST} "
        await on_text(text)
    assert [a.text.count("[1]") for a in shown] == [1, 5]  # at 0.3 s, then at 1.8 s: not at 0.9, 1.2 or 1.5


async def test_nothing_is_shown_when_the_lead_fails(server: LLMStandIn, session: aiohttp.ClientSession,
                                                    language: Language) -> None:
    server.script(Scripted.answer(f"{INVENTED} {FIRST} {SECOND}"))
    shown = Shown()
    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=shown)
    assert shown == [] and done.model == "offline"


async def test_a_stream_that_breaks_off_gives_the_offline_answer(server: LLMStandIn, session: aiohttp.ClientSession,
                                                                 language: Language) -> None:
    server.script(Scripted.answer(f"{FIRST} {SECOND}", break_after=7))
    shown = Shown()
    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=shown)
    assert len(shown) == 1  # the checked first sentence was shown; the answer is then the offline one
    assert done.model == "offline" and done.dropped[0].startswith("llm failed: the answer broke off")
    assert len(server.requests) == 1  # a stream that started is not retried on the fallback model


@pytest.mark.parametrize("fault", [Scripted.error(503), Scripted(hang=True)])
async def test_a_model_that_fails_before_its_first_piece_hands_over_to_the_fallback(
        server: LLMStandIn, session: aiohttp.ClientSession, language: Language, fault: Scripted) -> None:
    server.script(fault, Scripted.answer(FIRST, model="small-1b"))
    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=Shown())
    assert done.model == "small-1b" and done.answer.answered
    assert [r.body["model"] for r in server.requests] == ["Writer-8B", "small-1b"]


async def test_a_server_that_does_not_stream_and_streaming_switched_off_both_answer(
        server: LLMStandIn, session: aiohttp.ClientSession, language: Language) -> None:
    shown = Shown()
    server.script(Scripted.answer(f"{FIRST} {SECOND}", unstreamed=True))
    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=shown)
    assert done.model == "Writer-8B" and len(done.answer.citations) == 2 and len(shown) == 1

    server.script(Scripted.answer(f"{FIRST} {SECOND}"))
    off = await answers(server, session, language, stream=False).run(QUESTION, DOCS, OUTLETS, on_progress=shown)
    assert server.requests[-1].body["stream"] is False and off.answer.text == done.answer.text and len(shown) == 1


async def test_a_failing_progress_display_does_not_lose_the_answer(
        server: LLMStandIn, session: aiohttp.ClientSession, language: Language) -> None:
    server.script(Scripted.answer(f"{FIRST} {SECOND}"))

    async def progress(answer: Answer) -> None:
        raise aiohttp.ClientConnectionError("Discord went away")

    done = await answers(server, session, language).run(QUESTION, DOCS, OUTLETS, on_progress=progress)
    assert done.model == "Writer-8B" and len(done.answer.citations) == 2
