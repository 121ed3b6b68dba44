"""End to end: answers in a briefing's thread (issue 9).

The real bot process against the Discord stand-in: a story told by two outlets in long articles
(12 and 16 paragraphs, served over loopback); a question that only the second outlet's article
answers, in its paragraph 8, is answered with a citation to that outlet; an unanswerable question
is refused; a follow-up ("what else did he say?") is read with the thread's last question.
And on a real database with the real models: every article of a long story is read in full, later
updates included; with the trained reader (on by default), the answer carries its short answer and
a made-up fact is refused. With a language model set up (a scripted
OpenAI-compatible server), a story told by three outlets gets one briefing by the model, edited in
place as outlets arrive; a thread's answer is the model's when it is grounded, named in the reply's
last line, and the offline one when the model invents a quote.

The questions were chosen so the rule-based Answerer of the time answers and refuses them (probed
by hand); any reader that finds the answer anywhere in a story must do the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.ingest.pipeline import key_of
from bot.language import Language, build_language
from bot.services.asking import MAX_STORY_ARTICLES, AskService
from bot.settings import Settings
from bot.storage.models import Article, ArticleSighting, Source, Story
from tests.bot.discord.test_bot_e2e import _rss, final, no_violations, text_of
from tests.bot.discord.test_delivery_e2e import Rig, briefings, running
from tests.summarizer.fixtures.news_qa import FLOODS
from tests.support.llm_server import LLMStandIn, Scripted, source_lines
from tests.support.static_server import StaticServer

NOW = datetime.now(UTC).replace(microsecond=0)
FIRST_URL = "https://continental-press.example/oster-floods"
SECOND_URL = "https://valley-herald.example/oster-spillways"
SECOND_TITLE = "Dam operator opens spillways as the Oster floods Breska"
SECOND = (  # invented for this test, like the rest of the news reading set
    "BRESKA, April 9 (Valley Herald) - Thousands of people fled their homes along the river Oster on Wednesday "
    "as floodwater poured into Breska and the nearby towns after three days of heavy rain.",
    "Emergency services said the water in the regional capital was still rising in the afternoon, and the army "
    "sent trucks to help move families from the low-lying districts near the old harbour.",
    "\"This is the worst flood most of us have ever seen,\" said Tomasz Wilk, a shop owner whose street was under "
    "half a metre of water. \"We carried what we could upstairs and left.\"",
    "In Kellin, downstream of Breska, volunteers filled sandbags through the night in the market square.",
    "The regional government opened schools and sports halls as shelters and asked people with cars to take in "
    "neighbours who had nowhere to go.",
    "Forecasters said more rain was expected on Thursday, although less than in the first days of the week.",
    "Local radio stations broadcast lists of closed roads every hour, and the ferry across the river at Mirnow "
    "stopped running on Tuesday.",
    "Insurers said it was too early to say how much the flood would cost.",
    "Upstream, the company that runs the Gradna reservoir, Oster Hydro, opened the dam's spillways at 3 a.m. on "
    "Wednesday to stop water from flowing over the top of the dam.",
    "Engineers at the dam said the release added to the flood downstream but was needed to protect the structure, "
    "which was built in 1958.",
    "Residents of villages below the dam were warned by text message an hour before the gates were opened, the "
    "company said.",
    "The regional governor is due to visit Kellin on Thursday morning.",
)
ONLY_SECOND = "Which company runs the Gradna reservoir?"
UNANSWERABLE = "How much will the new dam in Kellin cost?"


def _html(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The delivery tests' bot and server (none of its feeds added), with the two outlets' feeds."""
    with StaticServer() as web, running(tmp_path_factory.mktemp("answers")) as r:
        r.feeds = {
            "first": web.set("/continental.xml", _rss("Continental Press", [
                (FLOODS.title, FIRST_URL, _html(FLOODS.paragraphs), NOW - timedelta(hours=3))])),
            "second": web.set("/valley.xml", _rss("Valley Herald", [
                (SECOND_TITLE, SECOND_URL, _html(SECOND), NOW - timedelta(hours=1))])),
        }
        yield r


def thread_of(rig: Rig) -> int:
    return int(briefings(rig.d, rig.news)[0]["id"])


def ask_in_thread(rig: Rig, question: str) -> dict[str, Any]:
    """The bot's first reply to a question posted (with a mention) in the briefing's thread."""
    d, thread_id = rig.d, thread_of(rig)
    before = len(d.messages(thread_id))
    d.post_user_message(thread_id, rig.reader, question, mention_bot=True)
    replies = d.wait_for(lambda d: [m for m in d.messages(thread_id)[before:]  # whole, not while streamed
                                    if m["author"]["id"] == str(d.bot_user_id) and "is writing…" not in m["content"]],
                         timeout=60, what="a reply")
    assert replies[0].get("message_reference"), replies[0]  # a reply to the question
    return replies[0]


def test_a_two_outlet_story_gets_a_briefing_thread(rig: Rig) -> None:
    """The first outlet's article makes a briefing with a thread; the second joins it as an Update."""
    d = rig.d
    final(d.invoke(rig.guild, rig.news, rig.admin, "subscribe", {"topic": "river floods and evacuations"}))
    final(d.invoke(rig.guild, rig.news, rig.admin, "source", {"url": rig.feeds["first"]}, subcommand="add"))
    d.wait_for(lambda d: briefings(d, rig.news), timeout=120, what="the briefing")
    d.wait_for(lambda d: d.thread_of(thread_of(rig)), timeout=30, what="its thread")
    final(d.invoke(rig.guild, rig.news, rig.admin, "source", {"url": rig.feeds["second"]}, subcommand="add"))
    update = d.wait_for(lambda d: [m for m in d.messages(thread_of(rig)) if "Update" in (m.get("content") or "")],
                        timeout=120, what="an Update from the second outlet in the thread")
    assert "Valley Herald" in update[0]["content"] and len(briefings(d, rig.news)) == 1
    no_violations(d)


def test_an_answer_only_the_second_outlet_gives_is_cited_to_it(rig: Rig) -> None:
    """Asked in the thread, the answer (paragraph 8 of the second article) cites the second outlet."""
    reply = ask_in_thread(rig, ONLY_SECOND)
    text = text_of(reply)
    assert "Oster Hydro" in text and "[1]" in text
    assert "don't say" not in text
    assert f"[Valley Herald — {SECOND_TITLE}]({SECOND_URL})" in text
    no_violations(rig.d)


def test_an_unanswerable_question_is_refused(rig: Rig) -> None:
    """Neither outlet says what a new dam in Kellin costs: the reply is the refusal, as a reply and by /ask."""
    reply = ask_in_thread(rig, UNANSWERABLE)
    assert reply["content"].startswith("The sources don't say."), reply["content"]
    assert "Oster Hydro" not in reply["content"]
    msg = final(rig.d.invoke(rig.guild, thread_of(rig), rig.reader, "ask", {"question": UNANSWERABLE}))
    assert msg["content"].startswith("The sources don't say."), msg["content"]
    no_violations(rig.d)


def test_a_follow_up_question_is_read_with_the_thread_context(rig: Rig) -> None:
    """After a question about Tomasz Wilk, "What else did he say?" is answered about him."""
    first = text_of(ask_in_thread(rig, "What did Tomasz Wilk say?"))
    assert "worst flood" in first and SECOND_URL in first
    follow = text_of(ask_in_thread(rig, "What else did he say?"))
    assert "Wilk" in follow and SECOND_URL in follow, follow
    no_violations(rig.d)


# ---------------------------------------------------------------- a long story, read in full


async def _article(story: Story, source: Source, n: int, title: str, paragraphs: tuple[str, ...]) -> Article:
    url = f"https://{source.title.replace(' ', '-').lower()}.example/oster/{n}"  # type: ignore[union-attr]
    at = NOW - timedelta(hours=100 - n)
    article = await Article.create(source=source, url=url, url_key=key_of(url), content_hash=key_of(f"{n}"),
                                   title=title, text="\n\n".join(paragraphs), extraction="page", fetched_at=at,
                                   published_at=at, story=story)
    await ArticleSighting.create(source=source, article=article, item_key=f"oster-{n}", seen_at=at)
    return article


async def _two_outlets(guild: int) -> tuple[Source, Source, Story]:
    """The server's two outlets (sources) and an empty story about the Oster floods."""
    wire = await Source.create(guild_id=guild, url="https://wire.example/feed", url_key=f"wire-{guild}",
                               title="Continental Press")
    herald = await Source.create(guild_id=guild, url="https://herald.example/feed", url_key=f"herald-{guild}",
                                 title="Valley Herald")
    return wire, herald, await Story.create(title=FLOODS.title, first_seen_at=NOW, last_seen_at=NOW)


async def test_every_article_of_a_long_story_is_read_later_updates_included(db: str, language: Language) -> None:
    """A story of 56 articles: the first one's paragraph 12 and the newest one's are both found."""
    guild = 77
    wire, herald, story = await _two_outlets(guild)
    first = await _article(story, wire, 0, FLOODS.title, FLOODS.paragraphs)
    for n in range(1, 55):
        await _article(story, wire, n, f"Oster flood update {n}",
                       (f"Volunteers in district {n} of Breska filled sandbags on Wednesday night.",
                        f"The water in district {n} was still rising, officials said."))
    filler = tuple(f"Residents of street {k} in Kellin moved their cars to higher ground." for k in range(4))
    newest = await _article(story, herald, 55, SECOND_TITLE, SECOND[:8] + filler + SECOND[8:])
    assert "Gradna" in newest.text.split("\n\n")[12] and "1965" in first.text.split("\n\n")[12]

    ask = AskService(language.answerer, language.embedder, clock=lambda: NOW)
    late = await ask.ask(guild, ONLY_SECOND, story_ids=[story.id])
    assert late.answered and late.articles_considered == MAX_STORY_ARTICLES
    assert [c.article.url for c in late.citations if "Oster Hydro" in c.text] == [newest.url]
    early = await ask.ask(guild, "When was the last comparable flood on the Oster?", story_ids=[story.id])
    assert early.answered and any("1965" in c.text and c.article.url == first.url for c in early.citations)


async def test_with_the_reader_on_a_story_answer_carries_its_short_answer_and_a_made_up_fact_is_refused(
        db: str) -> None:
    """The reader (on by default): the answer only the second outlet gives comes with its short
    answer in bold (the words, cited to that outlet); the question about a new dam's cost is refused,
    naming at most the closest sentence as not the answer; a question about a bridge no source
    mentions is refused naming nothing."""
    lang = build_language(Settings(_env_file=None, model_threads=1))
    guild = 78
    wire, herald, story = await _two_outlets(guild)
    await _article(story, wire, 0, FLOODS.title, FLOODS.paragraphs)
    second = await _article(story, herald, 1, SECOND_TITLE, SECOND)
    ask = AskService(lang.answerer, lang.embedder, clock=lambda: NOW)
    got = await ask.ask(guild, ONLY_SECOND, story_ids=[story.id])
    assert got.answered and got.short is not None and got.short.text == "Oster Hydro"
    assert [c.article.url for c in got.citations if c.number == got.short.number] == [second.url]
    refused = await ask.ask(guild, UNANSWERABLE, story_ids=[story.id])
    assert not refused.answered and refused.text == "The sources don't say."
    assert all("Oster Hydro" not in c.text for c in refused.citations)
    nowhere = await ask.ask(guild, "How much did the Dravik bridge cost?", story_ids=[story.id])
    assert not nowhere.answered and nowhere.text == "The sources don't say." and nowhere.citations == ()


def test_with_a_language_model_a_three_outlet_story_gets_one_briefing_and_thread_answers_are_its_own(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The model briefs a story across its outlets once a second one reports it, and the posted
    briefing is edited in place when the third arrives (LLM_REBRIEF_MIN_S=0); a thread answer is the
    model's when grounded, and the offline one when it invents a quote; /why names who wrote the
    briefing; the key is never in the log or /why."""

    def model(body: dict[str, Any]) -> Scripted:  # a faithful model
        lines = source_lines(body)
        if body["messages"][-1]["content"].endswith("Write the briefing."):  # each outlet's first sentence
            prompt = body["messages"][-1]["content"]
            firsts: dict[str, int] = {}
            for n in sorted(lines):
                outlet = prompt.split(f"[{n}] (", 1)[1].split(")", 1)[0]
                firsts.setdefault(outlet, n)
            return Scripted.answer(" ".join(f"{lines[n]} [{n}]" for n in firsts.values()))
        n, sentence = next((n, s) for n, s in sorted(lines.items()) if "Khamenei" in s)  # an answer
        return Scripted.answer(f"{sentence.rstrip('.')} [{n}].")

    def briefing_requests() -> int:
        return sum(1 for r in llm.requests if r.body["messages"][-1]["content"].endswith("Write the briefing."))

    third = ("Tehran Times", "https://tehran-times.example/khamenei", "Supreme leader Ali Khamenei told air force "
             "commanders on Monday that talks with Washington would achieve nothing.")
    with LLMStandIn() as llm, StaticServer() as web, running(
            tmp_path_factory.mktemp("llm"), LLM_BASE_URL=llm.root, LLM_MODEL="Writer-8B",
            LLM_API_KEY="sk-e2e-secret", LLM_REBRIEF_MIN_S="0") as r:
        llm.respond = model
        third_feed = web.set("/third.xml", _rss(third[0], [
            ("Khamenei: talks with Washington would achieve nothing", third[1], third[2], NOW - timedelta(hours=1))]))
        d = r.d
        final(d.invoke(r.guild, r.news, r.admin, "subscribe", {"topic": "Iran supreme leader"}))
        final(d.invoke(r.guild, r.news, r.admin, "source", {"url": r.feeds["wire"]}, subcommand="add"))
        d.wait_for(lambda d: briefings(d, r.news), timeout=120, what="the briefing")
        d.wait_for(lambda d: d.thread_of(thread_of(r)), timeout=30, what="its thread")
        assert briefing_requests() == 0  # one outlet: the offline briefing

        answer = ask_in_thread(r, "What did Khamenei say about talks with the United States?")
        assert answer["content"].rstrip().endswith("-# answered by Writer\\-8B"), answer["content"]
        assert "Khamenei" in answer["content"] and "[1]" in answer["content"]
        assert "](https://wire-one.example/" in text_of(answer)  # the cited sentence's article, linked
        llm.script(Scripted.answer("Khamenei called the talks “a trap for fools” [1]."))  # an invented quote
        offline = ask_in_thread(r, "How did Khamenei describe the talks?")
        assert "a trap for fools" not in text_of(offline) and offline["content"].rstrip().endswith("answered offline")

        def two_sentences(body: dict[str, Any]) -> Scripted:  # streamed, held inside the second sentence
            lines = [(n, t) for n, t in sorted(source_lines(body).items()) if "Khamenei" in t or "He " in t][:2]
            first = f"{lines[0][1]} [{lines[0][0]}] "
            return Scripted.answer(first + f"{lines[1][1]} [{lines[1][0]}]", hold_after=len(first.split()) // 3 + 2)

        llm.respond = two_sentences
        before = len(d.messages(thread_of(r)))
        d.post_user_message(thread_of(r), r.reader, "What else did Khamenei say?", mention_bot=True)
        partial = d.wait_for(lambda d: [m for m in d.messages(thread_of(r))[before:] if "is writing…" in m["content"]],
                             timeout=60, what="the answer shown while the model writes")[0]
        assert "[1]" in partial["content"] and "[2]" not in partial["content"]
        llm.hold.set()
        whole = d.wait_for(lambda d: [m for m in d.messages(thread_of(r)) if m["id"] == partial["id"]
                                      and m["content"].rstrip().endswith("answered by Writer\\-8B")],
                           timeout=60, what="the streamed reply edited into the whole answer")[0]
        assert "[2]" in whole["content"] and whole["edited_timestamp"]
        llm.hold.clear()  # and by /ask: its "thinking…" reply shows the checked sentences, then the whole answer
        ix = d.invoke(r.guild, thread_of(r), r.reader, "ask", {"question": "What else did Khamenei say?"})
        assert "is writing…" in final(ix)["content"] and "[2]" not in final(ix)["content"]
        llm.hold.set()
        whole = d.wait_for(lambda d: [m for m in [ix.original] if m and "answered by Writer" in m["content"]],
                           timeout=60, what="/ask's reply edited into the whole answer")[0]
        assert "[2]" in whole["content"] and len(ix.followups) == 0
        llm.respond = model

        final(d.invoke(r.guild, r.news, r.admin, "source", {"url": r.feeds["gulf"]}, subcommand="add"))
        two = d.wait_for(lambda d: [m for m in briefings(d, r.news) if "briefing by Writer" in text_of(m)],
                         timeout=120, what="the briefing rewritten by the model across two outlets")[0]
        assert "\\[1\\]" in two["embeds"][0]["description"] and "\\[2\\]" in two["embeds"][0]["description"]
        final(d.invoke(r.guild, r.news, r.admin, "source", {"url": third_feed}, subcommand="add"))
        three = d.wait_for(lambda d: [m for m in briefings(d, r.news) if "\\[3\\]" in text_of(m)],
                           timeout=120, what="the briefing edited when the third outlet arrives")[0]
        assert three["id"] == two["id"] and three["edited_timestamp"] and len(briefings(d, r.news)) == 1
        assert "Supreme leader Ali Khamenei told air force commanders" in three["embeds"][0]["description"]
        assert "Tehran Times" in text_of(three) and briefing_requests() == 2

        why = final(d.invoke(r.guild, r.news, r.admin, "why", {"url": third[1]}))
        assert "written by Writer-8B" in text_of(why).replace("\\", "") and "sk-e2e-secret" not in text_of(why)
        assert "sk-e2e-secret" not in r.bot.log and "dropped: quote 'a trap for fools'" in r.bot.log
        no_violations(d)
