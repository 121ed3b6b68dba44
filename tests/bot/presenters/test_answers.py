from __future__ import annotations

import re

from bot.presenters.answers import answer_messages, present_answer
from bot.presenters.text import render_text
from bot.services.views import AnswerView, NumberedCitation
from tests.bot.presenters.helpers import NASTY, all_text, article, assert_valid


def cite(n: int, *, title: str = "Talks resume", outlet: str = "Reuters") -> NumberedCitation:
    return NumberedCitation(n, f"Cited sentence {n}.", article(n, outlet=outlet, title=title))


def view(text: str, n: int = 2, **kw) -> AnswerView:
    return AnswerView("What happened?", True, text, tuple(cite(i, **kw) for i in range(1, n + 1)), 12)


def long_answer(n: int = 20) -> str:
    return " ".join(f"Sentence {i} explains one *more* part of what happened in the talks [{i % n + 1}]."
                    for i in range(70))[:5000]


def test_short_answer_with_sources():
    reply = present_answer(view("The talks resumed on Monday [1]. Both sides met in Geneva [2]."))
    assert_valid(reply)
    assert reply.content == (
        "The talks resumed on Monday [1]. Both sides met in Geneva [2].\n\nSources:\n"
        "[1] [Reuters — Talks resume](https://news1.example.com/world/1)\n"
        "[2] [Reuters — Talks resume](https://news2.example.com/world/2)"
    )
    assert not reply.embeds


def test_answer_text_is_escaped_but_markers_stay_readable():
    reply = present_answer(view("It was *huge* [1](x) and [2] <@1>.", title="**T** [x]"))
    assert reply.content.startswith("It was \\*huge\\* [1]\\(x\\) and [2] \\<@1\\>.")
    assert "[1] [Reuters — \\*\\*T\\*\\* \\[x\\]](https://news1.example.com/world/1)" in reply.content


def test_long_answer_with_twenty_citations():
    v = view(long_answer(), n=20, title="A fairly long headline about the negotiations " * 2)
    reply = present_answer(v)
    assert_valid(reply)
    assert len(reply.content) <= 2000 and reply.content.endswith(".")
    text = all_text(reply)
    for i in range(1, 21):
        assert f"[{i}] [Reuters — " in text
    assert reply.embeds[-1].title == "Sources"
    assert reply.embeds[0].title == "Answer (continued)"


def test_answer_that_fits_but_not_with_sources():
    v = view("Short sentence here [1]. " * 70, n=20, title="headline " * 15)
    reply = present_answer(v)
    assert_valid(reply)
    assert [e.title for e in reply.embeds] == ["Sources"]
    assert "Sources:" not in reply.content


def test_refusal_is_plain():
    reply = present_answer(AnswerView("Who won?", False, "I could not find that in the articles from *today*."))
    assert_valid(reply)
    assert reply.content == "I could not find that in the articles from \\*today\\*."
    assert not reply.embeds
    assert answer_messages(AnswerView("q", False, "No.")) == ["No."]


def test_answer_messages_split_at_sentences_with_sources_last():
    v = view(long_answer(), n=20)
    messages = answer_messages(v)
    assert len(messages) >= 3
    assert all(0 < len(msg) <= 2000 for msg in messages)
    assert all(msg.endswith(".") for msg in messages[:2])
    joined = "\n".join(messages)
    assert joined.index("Sources:") > joined.index("Sentence 60")
    assert all(f"\n[{i}] [Reuters" in joined for i in range(1, 21))
    words = re.sub(r"\s+", " ", " ".join(messages[:len(messages) - 1]))
    assert "Sentence 0 explains one \\*more\\* part" in words


def test_answer_messages_with_huge_source_list():
    v = view("Short [1].", n=20, title=NASTY * 2)
    messages = answer_messages(v)
    assert all(len(msg) <= 2000 for msg in messages)
    assert messages[0].startswith("Short [1].")
    assert sum(msg.count("](https://") for msg in messages) == 20


def test_answer_without_citations():
    assert present_answer(AnswerView("q", True, "Just this.")).content == "Just this."
    assert answer_messages(AnswerView("q", True, "Just this.")) == ["Just this."]


def test_renders_as_text():
    out = render_text(present_answer(view("The talks *resumed* [1]. They met [2].")), width=200)
    assert out == ("The talks *resumed* [1]. They met [2].\n\nSources:\n"
                   "[1] Reuters — Talks resume <https://news1.example.com/world/1>\n"
                   "[2] Reuters — Talks resume <https://news2.example.com/world/2>\n")
    long_out = render_text(present_answer(view(long_answer(), n=20)))
    assert "Answer (continued)" in long_out and "[20] Reuters — Talks resume <https://news20." in long_out
    assert "\\" not in long_out
