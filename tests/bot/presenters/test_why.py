from __future__ import annotations

from datetime import timedelta

from bot.presenters.text import render_text
from bot.presenters.why import present_why
from bot.services.views import ArticleTrace, TopicHit, TraceStep
from tests.bot.presenters.helpers import NASTY, T0, all_text, article, assert_valid

URL = "https://news1.example.com/world/1"


def steps(n: int) -> tuple[TraceStep, ...]:
    stages = ("fetch", "extract", "dedupe", "analyze", "story", "topic", "delivery")
    return tuple(TraceStep(T0 + timedelta(minutes=7 * i), stages[i % 7], f"outcome {i}", f"detail number {i} " * 3,
                           "Reuters" if i % 2 else None) for i in range(n))


def trace(**kw) -> ArticleTrace:
    base = dict(url=URL, found=True, article=article(1, title="Talks *resume*"), summary="Negotiators met again.",
                story_id=42, story_title="Ceasefire talks", story_sources=3, steps=steps(3),
                topics=(TopicHit("iran", True, 0.82, "topic Iran 0.82"), TopicHit("oil", False, 0.12, "below 0.5")),
                stopped_at=None, extras={})
    return ArticleTrace(**{**base, **kw})


def test_not_found():
    reply = present_why(trace(found=False, article=None, steps=()))
    assert_valid(reply)
    assert reply.content == f"Briefbot has not seen <{URL}> from this server's sources."
    reply = present_why(trace(url="javascript:alert(1)//*x*", found=False))
    assert reply.content == "Briefbot has not seen javascript:alert\\(1\\)//\\*x\\* from this server's sources."


def test_found():
    reply = present_why(trace(extras={"language": "en"}))
    assert_valid(reply)
    (e,) = reply.embeds
    assert e.title == "Talks \\*resume\\*" and e.url == URL
    assert e.description == "Negotiators met again."
    fields = {f.name: f.value for f in e.fields}
    assert fields["Story"] == "42: Ceasefire talks (3 sources)"
    assert fields["Topics"] == "iran: matched (0.82) — topic Iran 0.82\noil: not matched (0.12) — below 0.5"
    assert fields["Details"] == "language: en"
    path = fields["Path (3 steps)"].split("\n")
    assert path[0] == "2024-05-01 08:00:00 **fetch**: outcome 0 — detail number 0 detail number 0 detail number 0"
    assert path[1] == "08:07:00 **extract**: outcome 1 — detail number 1 detail number 1 detail number 1 (Reuters)"
    assert e.footer == "Article 1"


def test_stopped_at_is_prominent():
    reply = present_why(trace(stopped_at="dedupe: duplicate (of article 7)"))
    assert reply.embeds[0].description.startswith("**Stopped at:** dedupe: duplicate \\(of article 7\\)\n\n")


def test_seen_but_not_stored():
    reply = present_why(trace(article=None, summary=None, story_id=None, stopped_at="fetch: failed (HTTP 404)",
                              topics=()))
    assert_valid(reply)
    e = reply.embeds[0]
    assert e.title == URL and e.url == URL and e.footer is None
    assert e.description == "**Stopped at:** fetch: failed \\(HTTP 404\\)"


def test_hundred_steps_and_a_huge_summary():
    reply = present_why(trace(summary="A long summary sentence. " * 400, steps=steps(100), stopped_at=NASTY * 5,
                              topics=tuple(TopicHit(f"topic {i}", i % 2 == 0, i / 30, NASTY) for i in range(30)),
                              article=article(1, title=NASTY * 4)))
    assert_valid(reply)
    text = all_text(reply)
    assert "outcome 0 " in text and "outcome 99 " in text  # the first and the latest steps
    assert "steps left out" in text
    e = reply.embeds[0]
    assert e.description.startswith("**Stopped at:** \\*\\*bold\\*\\*")
    assert len(e.title) <= 256
    assert any(f.name == "Path (cont.)" for f in e.fields)


def test_no_steps():
    reply = present_why(trace(steps=()))
    assert {f.name: f.value for f in reply.embeds[0].fields}["Path"] == "No recorded steps."


def test_steps_across_days_show_the_date():
    two = (TraceStep(T0, "fetch", "ok", ""), TraceStep(T0 + timedelta(days=1), "analyze", "done", ""))
    path = {f.name: f.value for f in present_why(trace(steps=two)).embeds[0].fields}["Path (2 steps)"]
    assert path == "2024-05-01 08:00:00 **fetch**: ok\n2024-05-02 08:00:00 **analyze**: done"


def test_renders_as_text():
    out = render_text(present_why(trace(stopped_at="waiting for analysis")), width=200)
    assert out.startswith(f"Talks *resume* <{URL}>\n")
    assert "Stopped at: waiting for analysis" in out
    assert "2024-05-01 08:00:00 fetch: outcome 0 — detail number 0" in out
    assert "Topics:\n  iran: matched (0.82) — topic Iran 0.82\n" in out
    assert "\\" not in out and "**" not in out
    not_seen = render_text(present_why(trace(found=False)))
    assert not_seen == f"Briefbot has not seen <{URL}> from this server's sources.\n"
