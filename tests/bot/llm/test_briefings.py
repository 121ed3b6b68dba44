"""Story briefings by a language model on a scripted server: every outlet is in the prompt,
numbered across the story; only grounded sentences are kept, and a briefing that loses its lead
or fails is not used (the offline one stays) with the reasons."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.llm.briefings import BriefingSource, LLMBriefings
from bot.llm.client import LLMClient, LLMConfig, normalise_base_url
from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.llm_server import LLMStandIn, Scripted

KH = JOIN[0]
ARTICLES = [BriefingSource(11, "Wire One", KH.a.lead), BriefingSource(12, "Gulf Daily", KH.b.lead)]
KEY = "sk-briefings-secret-7"
LEAD = ("Iran's supreme leader Ali Khamenei said on Monday that negotiating directly with the United States "
        "would be 'neither wise nor honourable'.")


@pytest.fixture
def server() -> Iterator[LLMStandIn]:
    with LLMStandIn() as s:
        yield s


@pytest.fixture
async def writer(server: LLMStandIn) -> AsyncIterator[LLMBriefings]:
    config = LLMConfig(base_url=normalise_base_url(server.root), model="Writer-8B", api_key=SecretStr(KEY),
                       timeout_s=1.0, fallback_models=("small-1b",))
    async with aiohttp.ClientSession() as session:
        yield LLMBriefings(LLMClient(config, session))


async def test_a_grounded_briefing_cites_each_outlets_sentences(writer: LLMBriefings, server: LLMStandIn,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    server.script(Scripted.answer(
        f"{LEAD} [1] Ayatollah Ali Khamenei on Monday rejected an American proposal for face-to-face "
        "negotiations [3]. He argued that earlier deals with Washington had only led to more sanctions [4][2]."))
    with caplog.at_level(logging.DEBUG):
        done = await writer.run(ARTICLES)
    prompt = server.requests[0].body["messages"][1]["content"]
    assert "[1] (Wire One) Iran's supreme leader" in prompt and "[3] (Gulf Daily) Ayatollah Ali Khamenei" in prompt
    assert done.model == "Writer-8B" and done.dropped == ()
    assert [s.text for s in done.sentences][0] == LEAD
    assert [tuple(a for a, _, _ in s.cites) for s in done.sentences] == [(11,), (12,), (12, 11)]
    article, start, end = done.sentences[1].cites[0]
    assert KH.b.lead[start:end].startswith("Ayatollah Ali Khamenei on Monday rejected")
    assert KEY not in caplog.text and server.requests[0].headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(("written", "reason"), [
    (f"{LEAD} [1] He called the talks “a trap for fools” [3].", "quote 'a trap for fools' not word for word in [3]"),
    (f"{LEAD} [1] 14 officers were present [4].", "'14' not in [4]"),
    (f"{LEAD} [1] Rouhani agreed with him [3].", "'Rouhani' not in [3]"),
    (f"{LEAD} [1] He rejected the talks [99].", "cites [99], past the 4 sources"),
    (f"{LEAD} [1] He rejected the talks.", "no [n] citation"),
])
async def test_a_later_sentence_that_fails_is_dropped_and_the_lead_kept(writer: LLMBriefings, server: LLMStandIn,
                                                                        written: str, reason: str) -> None:
    server.script(Scripted.answer(written))
    done = await writer.run(ARTICLES)
    assert done.model == "Writer-8B" and [s.text for s in done.sentences] == [LEAD]
    assert done.dropped == (f"llm sentence 2 dropped: {reason}",)


@pytest.mark.parametrize(("reply", "reason"), [
    (Scripted.answer("Khamenei said 14 were dead [1]. " + LEAD + " [1]"), "llm sentence 1 dropped: '14' not in [1]"),
    (Scripted.answer("NOT IN SOURCES"), "Writer-8B found nothing to brief"),
    (Scripted.error(400, "bad request"), "llm failed"),
    (Scripted(body=b"{not json"), "llm failed"),
    (Scripted(body=b'{"choices": []}'), "llm failed"),
])
async def test_a_briefing_that_loses_its_lead_or_fails_is_not_used(writer: LLMBriefings, server: LLMStandIn,
                                                                   reply: Scripted, reason: str) -> None:
    server.script(reply)
    done = await writer.run(ARTICLES)
    assert done.model == "offline" and done.sentences == ()
    assert done.dropped and done.dropped[0].startswith(reason)


async def test_a_slow_model_gives_way_to_its_fallback_and_the_fallback_is_named(writer: LLMBriefings,
                                                                                server: LLMStandIn) -> None:
    server.script(Scripted(hang=True), Scripted.answer(f"{LEAD} [1]", model="small-1b"))
    done = await writer.run(ARTICLES)
    assert done.model == "small-1b" and [s.text for s in done.sentences] == [LEAD]
    assert [r.body["model"] for r in server.requests] == ["Writer-8B", "small-1b"]


async def test_each_article_gets_a_share_of_the_context(server: LLMStandIn) -> None:
    long = " ".join(f"Sentence number {i} of the first report is here." for i in range(2_000))
    config = LLMConfig(base_url=normalise_base_url(server.root), model="m", timeout_s=1.0)
    server.script(Scripted.answer("NOT IN SOURCES"))
    async with aiohttp.ClientSession() as session:
        await LLMBriefings(LLMClient(config, session), max_context_chars=4_000).run(
            [BriefingSource(1, "Long Wire", long), *ARTICLES])
    prompt = server.requests[0].body["messages"][1]["content"]
    assert len(prompt) < 4_000 and "(Long Wire) Sentence number 0 " in prompt
    assert "(Wire One) Iran's supreme leader" in prompt and "(Gulf Daily) Ayatollah" in prompt
