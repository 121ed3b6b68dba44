"""The read services behind /brief, /actor, /statements, /ask and /why, on a real database with the
real models, and scoped per server: one guild never sees another's articles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import InvalidInputError, NotFoundError
from bot.ingest.pipeline import key_of
from bot.language import Language
from bot.services.actor_views import ActorViews
from bot.services.actors import ActorStore
from bot.services.analysis import AnalysisService
from bot.services.asking import AskService
from bot.services.briefs import BriefService, parse_topic
from bot.services.scope import parse_since
from bot.services.why import WhyService
from bot.storage.models import Article, ArticleSighting, PipelineEvent, Source
from tests.summarizer.fixtures.story_pairs import JOIN, T0, Art

NOW = T0 + timedelta(hours=30)
G1, G2, G3 = 111, 222, 333

QUOTES = Art(
    "q1", "Wire One", "Khamenei vows Iran will not retreat",
    '"We will not retreat one step," Ayatollah Ali Khamenei said in Tehran on Monday. '
    'He added: "Our nation has chosen the path of resistance." '
    '"The enemies have failed before and they will fail again," Khamenei told the crowd. '
    'Khamenei warned that any attack on Iran would be answered. '
    '"Sanctions have made us stronger," he said. '
    '"Negotiating with America is useless," Khamenei said. '
    '"Israel is a cancerous tumor," Khamenei declared.',
    ("Ali Khamenei", "Iran"), T0 + timedelta(hours=1),
)


def clock():  # type: ignore[no-untyped-def]
    return NOW


async def _source(guild: int, name: str) -> Source:
    source, _ = await Source.get_or_create(
        guild_id=guild, url_key=key_of(f"{guild}{name}"),
        defaults={"url": f"https://{name.replace(' ', '').lower()}.example/feed", "title": name})
    return source


async def _store(art: Art, guild: int) -> Article:
    source = await _source(guild, art.source)
    url = f"https://{art.source.replace(' ', '').lower()}.example/{art.id}"
    article = await Article.get_or_none(url_key=key_of(url))
    if article is None:
        article = await Article.create(source=source, url=url, url_key=key_of(url), content_hash=key_of(art.id),
                                       title=art.title, text=art.lead, extraction="page", fetched_at=art.published,
                                       published_at=art.published)
        await PipelineEvent.create(url_key=key_of(url), url=url, source=source, article=article, stage="dedupe",
                                   outcome="new", detail="stored")
    await ArticleSighting.create(source=source, article=article, item_key=f"{guild}{art.id}", seen_at=art.published)
    return article


@pytest.fixture
async def world(db: str, language: Language) -> dict[str, Article]:
    """Guild 1: the Khamenei pair (two outlets), the quake pair and a quote-rich article.
    Guild 2: the ECB article only. Guild 3: nothing."""
    kh, quake, ecb = JOIN[0], JOIN[1], JOIN[2]
    arts = {
        "kh_a": await _store(kh.a, G1), "kh_b": await _store(kh.b, G1),
        "quake_a": await _store(quake.a, G1), "quake_b": await _store(quake.b, G1),
        "quotes": await _store(QUOTES, G1), "ecb": await _store(ecb.a, G2),
    }
    analysis = AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=8, clock=clock)
    await analysis.process_pending()
    return {k: await Article.get(id=v.id) for k, v in arts.items()}


@pytest.fixture
def briefs(language: Language) -> BriefService:
    return BriefService(language.topics, clock=clock, default_since=timedelta(days=3))


@pytest.fixture
def actors(language: Language) -> ActorViews:
    return ActorViews(language.topics, clock=clock, per_page=3)


# ---------------------------------------------------------------- /brief


async def test_brief_lists_the_guilds_stories_with_sources_actors_and_a_statement(world, briefs) -> None:
    result = await briefs.latest(G1)
    titles = [s.title for s in result.stories]
    assert "ECB lowers interest rates by a quarter point" not in titles  # guild 2's article
    kh = next(s for s in result.stories if s.story_id == world["kh_a"].story_id)
    assert kh.sources_count == 2
    assert {link.outlet for link in kh.links} == {"Wire One", "Gulf Daily"}
    assert all(link.url.startswith("https://") for link in kh.links)
    assert any("Khamenei" in a.name for a in kh.actors)
    newest_first = [s.last_seen_at for s in result.stories]
    assert newest_first == sorted(newest_first, reverse=True)
    quotes = next(s for s in result.stories if s.story_id == world["quotes"].story_id)
    assert quotes.statement is not None and quotes.statement.kind == "direct"
    assert quotes.statement.text in world["quotes"].text  # verbatim


async def test_brief_is_scoped_to_the_guild(world, briefs) -> None:
    other = await briefs.latest(G2)
    assert [s.title for s in other.stories] == ["ECB lowers interest rates by a quarter point"]
    empty = await briefs.latest(G3)
    assert empty.stories == () and "/source add" in (empty.suggestion or "")


async def test_brief_on_a_topic_keeps_matching_stories_and_says_why(world, briefs) -> None:
    result = await briefs.latest(G1, topic="Iran supreme leader")
    ids = {s.story_id for s in result.stories}
    assert world["kh_a"].story_id in ids and world["quake_a"].story_id not in ids
    assert all(s.reason and "topic Iran supreme leader" in s.reason for s in result.stories)
    none = await briefs.latest(G1, topic="football transfer rumours")
    assert none.stories == () and "broader topic" in (none.suggestion or "")


async def test_brief_since_filters_and_bad_times_are_clear_errors(world, briefs) -> None:
    assert (await briefs.latest(G1, since="1h")).stories == ()
    with pytest.raises(InvalidInputError, match="24h, 3d"):
        await briefs.latest(G1, since="last tuesday-ish")


def test_parse_since_and_topic() -> None:
    assert parse_since("3d", NOW) == NOW - timedelta(days=3)
    assert parse_since("90m", NOW) == NOW - timedelta(minutes=90)
    assert parse_since(None, NOW) is None
    assert parse_since("", NOW, default=timedelta(hours=24)) == NOW - timedelta(hours=24)
    assert parse_since("2025-03-09", NOW).day == 9  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError):
        parse_since("2999-01-01", NOW)
    topic = parse_topic("Iran Israel tensions +nuclear -football")
    assert topic.phrase == "Iran Israel tensions" and topic.required == ("nuclear",) and topic.excluded == ("football",)


# ---------------------------------------------------------------- /actor and /statements


async def test_actor_profile_counts_mentions_per_day_and_lists_statements(world, actors) -> None:
    profile = await actors.profile(G1, "khamenei")
    assert "Khamenei" in profile.actor.name and profile.actor.type == "PERSON"
    assert len(profile.per_day) == 14 and profile.per_day[-1].day == NOW.date()
    assert sum(d.count for d in profile.per_day) == profile.mentions_recent == 3
    assert profile.statements and all(s.text in world["quotes"].text or s.kind != "direct"
                                      for s in profile.statements)
    assert any(c.name == "Iran" for c in profile.co_actors)
    assert any(a.casefold() == "khamenei" for a in profile.aliases)


async def test_actor_lookup_is_scoped_and_suggests_near_names(world, actors) -> None:
    with pytest.raises(NotFoundError):
        await actors.profile(G2, "Khamenei")
    with pytest.raises(NotFoundError, match="Did you mean"):
        await actors.profile(G1, "Khamenie")
    choices = await actors.suggest(G1, "kham")
    assert choices and "Khamenei" in choices[0][0] and choices[0][1] == "PERSON"
    assert await actors.suggest(G2, "kham") == []
    picked = await actors.profile(G1, choices[0][0])  # autocomplete's value is the actor's name
    assert "Khamenei" in picked.actor.name


async def test_statements_are_paginated_newest_first_and_filtered_by_topic(world, actors) -> None:
    first = await actors.statements(G1, "Khamenei")
    assert first.total >= 5 and first.pages == -(-first.total // 3) and len(first.statements) == 3
    last = await actors.statements(G1, "Khamenei", page=99)
    assert last.page == last.pages - 1 and 1 <= len(last.statements) <= 3
    seen = [s.statement_id for p in range(first.pages)
            for s in (await actors.statements(G1, "Khamenei", page=p)).statements]
    assert len(seen) == len(set(seen)) == first.total
    direct = [s for s in first.statements if s.kind == "direct"]
    assert all(s.text in world["quotes"].text for s in direct)
    off_topic = await actors.statements(G1, "Khamenei", topic="earthquake rescue")
    assert off_topic.total == 0 and off_topic.statements == ()


# ---------------------------------------------------------------- /ask and /why


async def test_ask_answers_with_numbered_citations_or_refuses(world, language) -> None:
    ask = AskService(language.answerer, language.embedder, clock=clock)
    answer = await ask.ask(G1, "How many people died in the Malatya earthquake?")
    assert answer.answered and "[1]" in answer.text
    assert answer.citations[0].number == 1 and "14" in answer.text
    assert answer.citations[0].article.outlet in {"Wire One", "Europe Now"}
    refused = await ask.ask(G1, "What is the population of Lima?")
    assert not refused.answered and refused.citations == ()
    assert not (await ask.ask(G2, "How many people died in the Malatya earthquake?")).answered
    with pytest.raises(InvalidInputError):
        await ask.ask(G1, "   ")
    story = await ask.ask(G1, "What was the death toll?", story_id=world["quake_a"].story_id)
    assert story.answered and story.articles_considered == 2


async def test_why_traces_an_article_in_its_guild_only(world, language) -> None:
    why = WhyService(language.topics, clock=clock)
    trace = await why.trace(G1, world["kh_a"].url)
    assert trace.found and trace.story_id == world["kh_a"].story_id and trace.story_sources == 2
    assert [s.stage for s in trace.steps][:1] == ["dedupe"] and "story" in [s.stage for s in trace.steps]
    assert trace.stopped_at is None and trace.summary
    hidden = await why.trace(G2, world["kh_a"].url)
    assert not hidden.found and hidden.steps == ()
    with pytest.raises(InvalidInputError):
        await why.trace(G1, "not a url")


async def test_a_small_server_sees_its_stories_among_a_big_servers_newer_ones(world, language) -> None:
    old = JOIN[4].a  # the ferry story, told only to guild 3, older than everything else
    await _store(Art(old.id, "Small Paper", old.title, old.lead, old.actors, T0 - timedelta(hours=10)), G3)
    await AnalysisService(language.analyzer, language.clusterer, ActorStore(), clock=clock).process_pending()
    few = BriefService(language.topics, clock=clock, default_since=timedelta(days=3), candidates=2)
    assert len((await few.latest(G1)).stories) == 2
    own = await few.latest(G3)
    assert [s.title for s in own.stories] == [old.title]
