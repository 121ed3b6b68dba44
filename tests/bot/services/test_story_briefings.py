"""Story briefings by a language model across outlets, on a real database with the real models, a
scripted model server and a recording Discord fake: written once a posted story has two outlets,
stored per server (a server sees only its own sources' articles), edited into the posted briefing,
rewritten when another outlet arrives at most once per LLM_REBRIEF_MIN_S, and never shown when the
check fails (the reasons are in /why)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.delivery.deliverer import Deliverer
from bot.delivery.router import Router
from bot.language import Language
from bot.llm.briefings import LLMBriefings
from bot.llm.client import LLMClient, LLMConfig, normalise_base_url
from bot.presenters.message import Reply
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.services.briefs import BriefService
from bot.services.story_briefings import StoryBriefingWriter
from bot.services.subscriptions import SubscriptionService
from bot.services.why import WhyService
from bot.storage.models import Delivery, Source, StoryBriefing
from tests.bot.delivery.test_delivery import Clock, FakeSender
from tests.bot.services.test_read_services import G1, G2, _store
from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.llm_server import LLMStandIn, Scripted

KH = JOIN[0]
KH_C = replace(KH.b, id="j1c", source="Third Wire", title="Khamenei: talks with US would be unwise",
               published=KH.b.published + timedelta(hours=1))
CH, CH2 = 1001, 2001
KEY = "sk-rebrief-secret-9"
_LINE = re.compile(r"\[(\d+)\] \(([^)]*)\) (.*)$")


def faithful(body: dict[str, Any]) -> Scripted:
    """The first sentence of each outlet, copied and cited: a briefing the check keeps."""
    firsts: dict[str, tuple[str, str]] = {}
    for line in body["messages"][-1]["content"].splitlines():
        m = _LINE.match(line)
        if m:
            firsts.setdefault(m.group(2), (m.group(1), m.group(3)))
    return Scripted.answer(" ".join(f"{text} [{n}]" for n, text in firsts.values()), model="Writer-8B")


@dataclass
class Rig:
    clock: Clock
    sender: FakeSender
    server: LLMStandIn
    analysis: AnalysisService
    router: Router
    deliverer: Deliverer
    writer: StoryBriefingWriter
    briefs: BriefService
    subs: SubscriptionService
    why: WhyService

    async def cycle(self) -> None:
        await self.analysis.process_pending()
        await self.router.route_pending()
        await self.deliverer.run_once()
        await self.writer.run_once()
        await self.deliverer.run_once()

    def briefing_edits(self, message_id: int) -> list[Reply]:
        return [r for _, m, r in self.sender.edits if m == message_id and "briefing by" in r.embeds[0].footer]


@pytest.fixture
def server() -> Iterator[LLMStandIn]:
    with LLMStandIn() as s:
        yield s


@pytest.fixture
async def rig(db: str, language: Language, server: LLMStandIn) -> AsyncIterator[Rig]:
    clock = Clock(KH.a.published + timedelta(minutes=30))
    sender = FakeSender()
    briefs = BriefService(language.topics, clock=clock, default_since=timedelta(days=3))
    config = LLMConfig(base_url=normalise_base_url(server.root), model="Writer-8B", api_key=SecretStr(KEY),
                       timeout_s=2.0)
    async with aiohttp.ClientSession() as session:
        yield Rig(
            clock=clock, sender=sender, server=server,
            analysis=AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=8, clock=clock),
            router=Router(language.topics, clock=clock), deliverer=Deliverer(sender, briefs, clock=clock),
            writer=StoryBriefingWriter(LLMBriefings(LLMClient(config, session)), rebrief_min_s=600, clock=clock),
            briefs=briefs, subs=SubscriptionService(clock=clock), why=WhyService(language.topics, clock=clock),
        )


async def test_a_story_gets_one_briefing_across_its_outlets_edited_in_place_as_outlets_arrive(rig: Rig) -> None:
    rig.server.respond = faithful
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await _store(KH.a, G1)
    await rig.cycle()
    post = rig.sender.top_level(CH)[0]
    assert rig.server.requests == []  # one outlet: the offline briefing, no model call

    rig.clock.advance(hours=3)
    await _store(KH.b, G1)
    await rig.cycle()
    assert len(rig.server.requests) == 1 and len(rig.sender.top_level(CH)) == 1
    prompt = rig.server.requests[0].body["messages"][1]["content"]
    assert "(Wire One) Iran's supreme leader" in prompt and "(Gulf Daily) Ayatollah" in prompt
    edits = rig.briefing_edits(post.id)
    assert len(edits) == 1
    embed = edits[0].embeds[0]
    assert embed.description.startswith("Iran's supreme leader Ali Khamenei said on Monday")
    assert "\\[1\\]" in embed.description and "\\[2\\]" in embed.description  # each outlet cited by its number
    sources = next(f.value for f in embed.fields if f.name.startswith("Sources"))
    assert sources.startswith("\\[1\\] [Wire One](") and "\\[2\\] [Gulf Daily](" in sources
    assert embed.footer.count("briefing by Writer-8B") == 1
    assert not await StoryBriefing.filter(pending_edit=True).exists()
    assert (await Delivery.get()).briefing_rev == 1
    await rig.cycle()
    assert len(rig.server.requests) == 1 and len(rig.briefing_edits(post.id)) == 1  # nothing new: no call, no edit

    brief = (await rig.briefs.latest(G1)).stories[0]
    assert brief.written_by == "Writer-8B" and brief.briefing == embed.description.replace("\\", "")

    rig.clock.advance(minutes=5)
    await _store(KH_C, G1)  # a third outlet, 5 minutes after the briefing was written
    await rig.cycle()
    assert len(rig.server.requests) == 1  # held back: at most one rewrite per 600 s
    rig.clock.advance(minutes=6)
    await rig.cycle()
    assert len(rig.server.requests) == 2 and "(Third Wire)" in rig.server.requests[1].body["messages"][1]["content"]
    edits = rig.briefing_edits(post.id)  # the Update's edit (3 sources, the first briefing), then the rewrite
    assert len({e.embeds[0].description for e in edits}) == 2 and "\\[3\\]" in edits[-1].embeds[0].description
    assert len(rig.sender.top_level(CH)) == 1  # edited in place, never posted again

    trace = await rig.why.trace(G1, "https://gulfdaily.example/j1b")
    step = next(s for s in trace.steps if s.stage == "llm briefing")
    assert (step.outcome, step.detail) == ("written by Writer-8B", "revision 2, from 3 articles")


async def test_a_server_sees_the_briefing_of_its_own_articles_only(rig: Rig) -> None:
    rig.server.respond = faithful
    for guild, channel in ((G1, CH), (G2, CH2)):
        await rig.subs.subscribe(guild, channel, "Iran supreme leader")
        await _store(KH.a, guild)
        await _store(KH.b, guild)
    await rig.cycle()
    assert len(rig.server.requests) == 1  # both servers see the same two articles: one call
    rows = await StoryBriefing.all().order_by("guild_id")
    assert [r.guild_id for r in rows] == [G1, G2] and rows[0].sentences == rows[1].sentences
    assert (await rig.briefs.latest(G2)).stories[0].written_by == "Writer-8B"

    await Source.filter(guild_id=G2, title="Gulf Daily").delete()  # G2 no longer sees what the briefing cites
    mine = (await rig.briefs.latest(G2)).stories[0]
    assert mine.written_by is None and "Gulf Daily" not in str(mine.links)
    assert mine.briefing.startswith("Iran's supreme leader Ali Khamenei said")  # its own article's summary
    assert (await rig.briefs.latest(G1)).stories[0].written_by == "Writer-8B"


async def test_an_unfaithful_briefing_is_never_shown_and_why_says_what_was_dropped(rig: Rig) -> None:
    rig.server.script(Scripted.answer("Khamenei said 14 commanders were killed [1]. He rejected the talks [3]."))
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await _store(KH.a, G1)
    await _store(KH.b, G1)
    await rig.cycle()
    post = rig.sender.top_level(CH)[0]
    shown = [post.reply, *(r for _, _, r in rig.sender.edits)]
    assert all("14 commanders" not in (r.embeds[0].description or "") for r in shown)
    assert rig.briefing_edits(post.id) == [] and "briefing by" not in post.reply.embeds[0].footer
    trace = await rig.why.trace(G1, "https://wireone.example/j1a")
    step = next(s for s in trace.steps if s.stage == "llm briefing")
    assert step.outcome == "offline" and "llm sentence 1 dropped: '14' not in [1]" in step.detail
    assert KEY not in str(trace)
    await rig.cycle()
    assert len(rig.server.requests) == 1  # not asked again until the story changes


async def test_an_outage_is_tried_again_later_and_the_bot_keeps_delivering(rig: Rig) -> None:
    rig.server.script(Scripted.error(503, "overloaded"))
    await rig.subs.subscribe(G1, CH, "Iran supreme leader")
    await _store(KH.a, G1)
    await _store(KH.b, G1)
    await rig.cycle()
    assert len(rig.sender.top_level(CH)) == 1 and rig.briefing_edits(rig.sender.top_level(CH)[0].id) == []
    rig.server.respond = faithful
    await rig.cycle()
    assert len(rig.server.requests) == 1  # not before LLM_REBRIEF_MIN_S
    rig.clock.advance(minutes=11)
    await rig.cycle()
    assert len(rig.server.requests) == 2 and len(rig.briefing_edits(rig.sender.top_level(CH)[0].id)) == 1
