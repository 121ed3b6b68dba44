"""Answers by a language model on a scripted server: shown only when every sentence is grounded,
the offline answer otherwise; the reply names who answered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.language import Language
from bot.llm.answers import LLMAnswers
from bot.llm.client import LLMClient, LLMConfig, normalise_base_url
from bot.presenters.answers import answer_messages, present_answer
from bot.services.views import AnswerView, ArticleLink, NumberedCitation
from summarizer.types import Document
from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.llm_server import LLMStandIn, Scripted

KH = JOIN[0]
DOCS = [Document(id="11", text=KH.a.lead, title=KH.a.title), Document(id="12", text=KH.b.lead, title=KH.b.title)]
OUTLETS = {"11": "Wire One", "12": "Gulf Daily"}
KEY = "sk-answers-secret-42"
QUESTION = "What did Khamenei say about talks with the United States?"


@pytest.fixture
def server() -> Iterator[LLMStandIn]:
    with LLMStandIn() as s:
        yield s


@pytest.fixture
async def llm(server: LLMStandIn, language: Language) -> AsyncIterator[LLMAnswers]:
    config = LLMConfig(base_url=normalise_base_url(server.root), model="Writer-8B", api_key=SecretStr(KEY),
                       timeout_s=1.0, fallback_models=("small-1b",))
    async with aiohttp.ClientSession() as session:
        yield LLMAnswers(LLMClient(config, session), language.answerer)


async def test_a_grounded_answer_is_the_models_with_renumbered_citations(llm: LLMAnswers, server: LLMStandIn,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    server.script(Scripted.answer(
        "Khamenei said negotiating directly with the United States would be 'neither wise nor honourable' [1]. "
        "He argued that earlier deals with Washington had only led to more sanctions [4]."))
    with caplog.at_level(logging.DEBUG):
        done = await llm.run(QUESTION, DOCS, OUTLETS)
    prompt = server.requests[0].body["messages"][1]["content"]
    assert "[1] (Wire One) Iran's supreme leader Ali Khamenei said on Monday" in prompt
    assert "[4] (Gulf Daily) Speaking to military officers" in prompt and prompt.endswith(f"Question: {QUESTION}")
    assert done.model == "Writer-8B" and done.dropped == () and done.answer.answered
    assert done.answer.text == ("Khamenei said negotiating directly with the United States would be 'neither wise "
                                "nor honourable'. [1] He argued that earlier deals with Washington had only led "
                                "to more sanctions. [2]")
    first, second = done.answer.citations
    assert (first.document_id, second.document_id) == ("11", "12")
    assert KH.b.lead[second.start:second.end] == second.text and second.text.startswith("Speaking to")
    assert KEY not in caplog.text


@pytest.mark.parametrize(("written", "reason"), [
    ("Khamenei called the talks “a trap for fools” [1].", "quote 'a trap for fools' not word for word in [1]"),
    ("Khamenei said on Monday that 14 commanders agreed [1].", "'14' not in [1]"),
    ("Khamenei and Rouhani rejected the talks [1].", "'Rouhani' not in [1]"),
    ("Khamenei rejected the talks [99].", "cites [99], past the 4 sources"),
    ("Khamenei rejected the talks.", "no [n] citation"),
])
async def test_an_unfaithful_answer_gives_way_to_the_offline_one(llm: LLMAnswers, server: LLMStandIn,
                                                                 written: str, reason: str) -> None:
    server.script(Scripted.answer(written))
    done = await llm.run(QUESTION, DOCS, OUTLETS)
    assert done.model == "offline" and done.dropped == (f"llm sentence 1 dropped: {reason}",)
    assert done.answer.answered and "Khamenei" in done.answer.text  # the offline answerer's
    assert written not in done.answer.text


async def test_a_later_sentence_that_fails_is_dropped_and_the_rest_shown(llm: LLMAnswers,
                                                                         server: LLMStandIn) -> None:
    server.script(Scripted.answer("Khamenei rejected direct talks with the United States [1]. "
                                  "He said 300 deals had failed [2]."))
    done = await llm.run(QUESTION, DOCS, OUTLETS)
    assert done.model == "Writer-8B" and done.answer.text == "Khamenei rejected direct talks with the United " \
                                                             "States. [1]"
    assert done.dropped == ("llm sentence 2 dropped: '300' not in [2]",)


async def test_the_models_refusal_stays_a_refusal(llm: LLMAnswers, server: LLMStandIn) -> None:
    server.script(Scripted.answer("NOT IN SOURCES"))
    done = await llm.run("What is the population of Lima?", DOCS, OUTLETS)
    assert done.model == "Writer-8B" and not done.answer.answered and "don't say" in done.answer.text


@pytest.mark.parametrize("fault", [Scripted(hang=True), Scripted(body=b"{oops"), Scripted(body=b'{"choices": []}'),
                                   Scripted.error(401, "bad key")])
async def test_a_failing_server_leaves_the_offline_answer(llm: LLMAnswers, server: LLMStandIn,
                                                          fault: Scripted) -> None:
    server.script(fault, Scripted(hang=True))  # a timeout's retry on the fallback model times out too
    done = await llm.run(QUESTION, DOCS, OUTLETS)
    assert done.model == "offline" and done.answer.answered and done.dropped[0].startswith("llm failed: ")
    assert KEY not in " ".join(done.dropped)


async def test_a_rate_limited_model_hands_over_to_the_fallback(llm: LLMAnswers, server: LLMStandIn) -> None:
    server.script(Scripted.error(429), Scripted.answer("Khamenei rejected direct talks with the United States [1]."))
    done = await llm.run(QUESTION, DOCS, OUTLETS)
    assert done.model == "small-1b" and done.answer.answered


def _view(model: str | None) -> AnswerView:
    link = ArticleLink(11, "https://wire-one.example/k", "Khamenei rules out talks", "Wire One", None)
    return AnswerView(QUESTION, True, "Khamenei rejected direct talks. [1]",
                      (NumberedCitation(1, "Khamenei said ...", link),), 2, model=model)


def test_the_reply_names_who_answered() -> None:
    assert present_answer(_view("Writer-8B")).content.endswith("\n-# answered by Writer\\-8B")
    assert answer_messages(_view("offline"))[-1].endswith("\n-# answered offline")
    assert "-#" not in present_answer(_view(None)).content  # no model set up: as before
    long = AnswerView(QUESTION, True, "x. [1] " * 600, _view("m").citations, 2, model="m")
    reply = present_answer(long)
    assert reply.embeds[-1].footer == "answered by m" and len(reply.content) <= 2000
    assert all(len(m) <= 2000 for m in answer_messages(long)) and answer_messages(long)[-1].endswith("answered by m")
