"""Random feed text of random sizes through every presenter: every reply stays valid."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bot.presenters.actors import actor_choices, present_actor
from bot.presenters.answers import answer_messages, present_answer
from bot.presenters.briefs import present_brief
from bot.presenters.errors import present_error
from bot.presenters.message import split_text
from bot.presenters.sources import present_opml_import
from bot.services.views import OpmlImport
from bot.presenters.statements import present_statements
from bot.presenters.text import render_text
from bot.presenters.why import present_why
from bot.services.views import (
    ActorProfile,
    AnswerView,
    ArticleLink,
    ArticleTrace,
    BriefResult,
    NumberedCitation,
    StatementPage,
    StatementView,
    StoryBrief,
    TopicHit,
    TraceStep,
)
from tests.bot.presenters.helpers import T0, actor, assert_valid

PIECES = ["word", "*", "**", "_", "~~", "`", "||", "\\", "[", "]", "(", ")", "<", ">", "#", "-", "1.", "+", " ",
          " ", " ", "\n", ". ", "! ", "@everyone", "<@123>", "https://x.org/a_b", "[a](https://e.x/)", "日本",
          "😀", "x" * 300, "…"]


def text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, n)))


def url(rng: random.Random) -> str:
    return rng.choice(["https://x.org/" + text(rng, 5), "javascript:" + text(rng, 3), "http://a.b/" + "p" * 700,
                       "https://n.example/(x) y>z"])


def art(rng: random.Random, i: int) -> ArticleLink:
    return ArticleLink(i, url(rng), text(rng, 30) or None, text(rng, 10), T0)


def stmt(rng: random.Random, i: int) -> StatementView:
    return StatementView(i, text(rng, 8) or None, "said", text(rng, 200), rng.choice(["direct", "indirect", "mixed"]),
                         art(rng, i), rng.choice([None, T0 + timedelta(hours=i)]))


@pytest.mark.parametrize("seed", range(40))
def test_random_inputs_give_valid_replies(seed):
    rng = random.Random(seed)
    k = rng.choice([1, 3, 12, 40])
    stories = tuple(StoryBrief(i, text(rng, 150), text(rng, 2000), T0, T0 + timedelta(days=i), rng.randint(0, 300),
                               tuple(art(rng, j) for j in range(rng.randint(0, k * 5))),
                               tuple(actor(j, text(rng, 10), "ORG") for j in range(rng.randint(0, k))),
                               stmt(rng, i) if rng.random() < 0.8 else None, text(rng, 50) or None)
                    for i in range(rng.randint(0, 12)))
    replies = [present_brief(BriefResult(stories, text(rng, 20) or None, T0, text(rng, 40) or None))]
    profile = ActorProfile(actor(1, text(rng, 100)), tuple(text(rng, 20) for _ in range(k)), 3, 7, (),
                           tuple(stmt(rng, i) for i in range(k)), tuple(actor(j, text(rng, 20)) for j in range(k)))
    replies.append(present_actor(profile, b"\x89PNG" if rng.random() < 0.5 else None))
    page = StatementPage(actor(1, text(rng, 100)), tuple(stmt(rng, i) for i in range(rng.randint(0, 30))),
                         rng.randint(0, 3), rng.randint(0, 4), rng.randint(0, 99), text(rng, 10) or None,
                         rng.choice([None, T0]))
    replies.append(present_statements(page, custom_id_prefix="s:" + "x" * rng.randint(0, 90)))
    answer = AnswerView("q", rng.random() < 0.8, text(rng, 1500),
                        tuple(NumberedCitation(i, "x", art(rng, i)) for i in range(1, rng.randint(1, 25))))
    replies.append(present_answer(answer))
    steps = tuple(TraceStep(T0 + timedelta(minutes=i), text(rng, 3) or "fetch", text(rng, 10), text(rng, 40),
                            text(rng, 5) or None) for i in range(rng.randint(0, 150)))
    trace = ArticleTrace(url(rng), rng.random() < 0.9, art(rng, 1) if rng.random() < 0.8 else None,
                         text(rng, 1000) or None, rng.choice([None, 5]), text(rng, 40) or None, 3, steps,
                         tuple(TopicHit(text(rng, 5), True, 0.5, text(rng, 30)) for _ in range(rng.randint(0, 30))),
                         text(rng, 30) or None, {text(rng, 3): text(rng, 20) for _ in range(rng.randint(0, 5))})
    replies.append(present_why(trace))
    replies.append(present_error(text(rng, 200)))
    replies.append(present_opml_import(OpmlImport(
        tuple((i, text(rng, 30) or "x") for i in range(rng.randint(0, 300))),
        tuple((url(rng), text(rng, 30) or "x") for _ in range(rng.randint(0, 100))), rng.randint(0, 500))))
    for reply in replies:
        assert_valid(reply)
        render_text(reply)
    for message in answer_messages(answer):
        assert 0 < len(message) <= 2000
    for display, value in actor_choices([(text(rng, 80), "PERSON") for _ in range(40)]):
        assert 0 < len(display) <= 100 and 0 < len(value) <= 100
    long = text(rng, 3000)
    assert all(0 < len(p) <= 2000 for p in split_text(long))
