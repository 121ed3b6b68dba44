"""Subscription message styles (card, compact, plain) and role pings: each style within Discord's
limits on hostile feed text, and a ping that names exactly the subscription's role."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest

from bot.discord.render import allowed_mentions, edit_kwargs
from bot.presenters.delivery import present_delivery, present_digest, present_update
from bot.presenters.text import render_text
from bot.services.views import StoryBrief
from tests.bot.presenters.helpers import LONG_TITLE, NASTY, T0, all_text, article, assert_valid, story
from tests.bot.presenters.test_fuzz import art, stmt, text

ROLE = 987654321012345678
MENTION = re.compile(r"(?<!\\)<@&(\d+)>")  # a role mention that renders (feed text has its "<" escaped)
FEED_PING = "<@&555> @here "


def hostile(i: int = 1, links: int = 40) -> StoryBrief:
    base = story(i, title=FEED_PING + LONG_TITLE, briefing=(FEED_PING + NASTY) * 60, links=links,
                 sources=links + 7, reason=NASTY)
    return StoryBrief(**{**{f: getattr(base, f) for f in base.__dataclass_fields__},
                         "links": tuple(article(j, outlet=NASTY[:70]) for j in range(1, links + 1))})


@pytest.mark.parametrize("style", ["card", "compact", "plain"])
def test_every_style_stays_within_limits_on_hostile_text(style: str) -> None:
    reply = present_delivery(hostile(), reason=NASTY * 5, ref="ref b12", style=style, role_id=ROLE)
    assert_valid(reply)
    assert "ref b12" in all_text(reply)  # a crash-restart finds the message by its reference
    assert reply.ping_roles == (ROLE,)
    assert MENTION.findall(reply.content or "") == [str(ROLE)]  # the feed's own "<@&555>" stays escaped text


def test_compact_is_one_line_with_the_title_linked_to_the_first_outlet_and_the_outlets() -> None:
    reply = present_delivery(story(title="Ceasefire talks resume", links=3, sources=5), reason="topic x",
                             ref="ref b7", style="compact")
    assert not reply.embeds and reply.ping_roles == ()
    first, ref_line = reply.content.split("\n")  # type: ignore[union-attr]
    assert first.startswith("**[Ceasefire talks resume](https://")
    assert "Outlet 1" in first and "Outlet 3" in first and "+2" in first
    assert ref_line == "-# ref b7"


def test_plain_has_no_embed_and_says_everything_the_card_says() -> None:
    s = story(title="Ceasefire talks resume", briefing="Negotiators met again on Monday.", links=2)
    reply = present_delivery(s, reason="topic ceasefire 0.81", ref="ref b3", style="plain")
    assert not reply.embeds
    body = reply.content or ""
    for part in ("New story", "Ceasefire talks resume", "Negotiators met again on Monday.", "Sources (2)",
                 "Outlet 1", "Strongest statement", "topic ceasefire 0.81", "Story 1", "ref b3"):
        assert part in body, part
    assert "Ceasefire talks resume" in render_text(reply)


def test_a_card_pings_its_role_first_and_an_update_or_an_edit_pings_nobody() -> None:
    reply = present_delivery(story(), reason="topic x", ref="ref b1", role_id=ROLE)
    assert (reply.content or "").startswith(f"<@&{ROLE}> New story")
    assert allowed_mentions(reply).to_dict() == {"parse": [], "roles": [ROLE]}
    assert reply.allowed_mentions() == {"parse": [], "roles": [str(ROLE)]}  # what the console shows
    assert edit_kwargs(reply)["allowed_mentions"].to_dict() == {"parse": []}
    update = present_update(article(2), "More detail.", sources=2, ref="ref u1")
    assert update.ping_roles == () and allowed_mentions(update).to_dict() == {"parse": []}
    plain = present_delivery(story(), reason="topic x", ref="ref b1")
    assert plain.ping_roles == () and "<@&" not in (plain.content or "")


@pytest.mark.parametrize("style", ["card", "compact", "plain"])
def test_a_digest_pings_once_and_fits_forty_stories(style: str) -> None:
    stories = [hostile(i, links=5) for i in range(40)]
    reply = present_digest(NASTY, stories, ref="ref g3x9", hourly=True, style=style, role_id=ROLE)
    assert_valid(reply)
    assert MENTION.findall(reply.content or "") == [str(ROLE)] and reply.ping_roles == (ROLE,)
    assert "ref g3x9" in all_text(reply)
    if style != "card":
        assert "more: /brief lists them" in (reply.content or "")


@pytest.mark.parametrize("seed", range(20))
def test_random_feed_text_in_every_style_gives_valid_messages(seed: int) -> None:
    rng = random.Random(seed)
    stories = [StoryBrief(i, text(rng, 150), text(rng, 2000), T0, T0 + timedelta(days=i), rng.randint(0, 300),
                          tuple(art(rng, j) for j in range(rng.randint(0, 30))), (),
                          stmt(rng, i) if rng.random() < 0.8 else None, text(rng, 50) or None)
               for i in range(rng.randint(1, 12))]
    for style in ("card", "compact", "plain"):
        role = rng.choice([None, ROLE])
        replies = [present_delivery(s, reason=text(rng, 80) or None, ref=f"ref b{s.story_id}", style=style,
                                    role_id=role, test=rng.random() < 0.3) for s in stories]
        replies.append(present_digest(text(rng, 120), stories, ref="ref g1x2", hourly=False, style=style, role_id=role))
        for reply in replies:
            assert_valid(reply)
            render_text(reply)
            assert len(MENTION.findall(reply.content or "")) == (1 if role else 0)


@pytest.mark.parametrize("style", ["card", "compact", "plain"])
def test_the_subscribe_confirmation_with_a_preview_stays_valid_and_pings_nobody(style: str) -> None:
    from types import SimpleNamespace

    from bot.delivery.preview import SAMPLE, NextPost, preview_reply
    from bot.presenters.subscriptions import present_subscribed

    sub = SimpleNamespace(id=3, channel_id=55, topic=NASTY * 3, keywords=[NASTY] * 5, min_sources=2, mode="realtime",
                          cap_per_hour=10, time_of_day=None, timezone="UTC", style=style, mention_role_id=ROLE)
    for shown, sample in ((hostile(), False), (SAMPLE, True)):
        preview = preview_reply(NextPost(sub, shown, sample))  # type: ignore[arg-type]
        reply = present_subscribed(sub, preview, sample=sample)  # type: ignore[arg-type]
        assert_valid(reply)
        assert reply.ping_roles == () and reply.ephemeral and "Preview" in (reply.content or "")
        assert ("a sample" in (reply.content or "")) is sample
