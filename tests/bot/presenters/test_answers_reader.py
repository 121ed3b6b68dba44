"""Replies with the reader's short answer, and refusals that name the closest thing the sources say."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.presenters.answers import SHORT_LIMIT, answer_messages, present_answer
from bot.presenters.text import render_text
from bot.services.asking import short_answer
from bot.services.views import AnswerView, NumberedCitation, ShortAnswer
from summarizer.types import Answer, Citation
from tests.bot.presenters.helpers import NASTY, all_text, article, assert_valid

REFUSAL = "The sources don't say."
CARNIVAL = ("The city of Porto Velano has beefed up security for its carnival, deploying 6,500 police officers "
            "and installing new crowd barriers along the main parade route.")
STEWARDS = "This year the city has hired 1,100 private stewards."


def cited(n: int, text: str, *, outlet: str = "Southern Dispatch", title: str | None = "Carnival security") \
        -> NumberedCitation:
    return NumberedCitation(n, text, article(n, outlet=outlet, title=title))


def read(short: str | None, *citations: NumberedCitation, number: int = 1, text: str = "") -> AnswerView:
    return AnswerView("Which city has beefed up security for its carnival?", True,
                          text or " ".join(f"{c.text} [{c.number}]" for c in citations), tuple(citations), 3,
                          short=ShortAnswer(short, number) if short is not None else None)


def test_short_answer_first_in_bold_then_the_cited_sentence_then_sources():
    """The short answer in bold with its number, the cited sentence verbatim, then the outlet's link."""
    reply = present_answer(read("Porto Velano", cited(1, CARNIVAL)))
    assert_valid(reply)
    assert reply.content == (
        "**Porto Velano** [1]\n\n"
        f"[1] “{CARNIVAL}”\n\n"
        "Sources:\n[1] [Southern Dispatch — Carnival security](https://news1.example.com/world/1)"
    )
    assert answer_messages(read("Porto Velano", cited(1, CARNIVAL))) == [reply.content]


def test_short_answer_in_the_second_citation():
    """The bold answer carries the number of the citation it is in; every cited sentence follows."""
    view = read("1,100", cited(1, CARNIVAL), cited(2, STEWARDS, outlet="Coast Post"), number=2)
    text = present_answer(view).content or ""
    assert text.startswith("**1,100** [2]\n\n[1] “The city of Porto Velano")
    assert f"[2] “{STEWARDS}”" in text and "[2] [Coast Post — Carnival security](https://news2" in text


def test_short_answer_without_a_shown_citation_falls_back_to_the_written_answer():
    """No bold words without a citation to back them: the answer as the answerer wrote it."""
    assert present_answer(read("Porto Velano", text="Porto Velano [1]")).content == "Porto Velano [1]"
    assert present_answer(read(None, cited(1, CARNIVAL))).content.startswith(f"{CARNIVAL} [1]\n\nSources:")
    assert present_answer(read("   ", cited(1, CARNIVAL))).content.startswith(f"{CARNIVAL} [1]")
    unknown = present_answer(read("Porto Velano", cited(1, CARNIVAL), number=7)).content or ""
    assert unknown.startswith("**Porto Velano**\n\n[1] “")  # no marker for a citation that is not there


def test_hostile_short_answer_and_sentences_stay_within_limits():
    """Markdown, mentions and a 20,000-character sentence: escaped, bold closed, every limit kept."""
    huge = (NASTY + "and more words. ") * 120
    view = read(NASTY * 20, cited(1, huge, title=NASTY), cited(2, NASTY, outlet=NASTY), number=1)
    reply = present_answer(view)
    assert_valid(reply)
    content = reply.content or ""
    bold = content.split("\n\n", 1)[0]
    assert bold.startswith("**\\*\\*bold\\*\\*") and bold.endswith("** [1]")
    assert len(bold) <= SHORT_LIMIT + len("****") + len(" [1]")
    assert "<@123>" not in all_text(reply) and "\\<@123\\>" in all_text(reply)
    assert "[click](https://evil" not in all_text(reply)
    messages = answer_messages(view)
    assert all(0 < len(m) <= 2000 for m in messages) and len(messages) >= 10
    assert messages[0].startswith("**\\*\\*bold") and messages[0].count("**") % 2 == 0
    assert messages[-1].startswith("Sources:") or "\nSources:\n" in messages[-1]


def test_refusal_names_the_closest_sentence_marked_as_not_the_answer():
    """A refusal with citations shows them after the refusal, clearly not as the answer, with sources."""
    view = AnswerView("How many people died in the stampede?", False, REFUSAL, (cited(1, CARNIVAL),), 3)
    reply = present_answer(view)
    assert_valid(reply)
    assert reply.content == (
        "The sources don't say.\n\n"
        "Not the answer, but the sources do say:\n"
        f"[1] “{CARNIVAL}”\n\n"
        "Sources:\n[1] [Southern Dispatch — Carnival security](https://news1.example.com/world/1)"
    )
    assert answer_messages(view) == [reply.content]


def test_refusal_with_long_closest_sentences_is_short():
    """At most two closest sentences of at most 400 characters each follow a refusal."""
    many = tuple(cited(n, NASTY * 50) for n in range(1, 6))
    view = AnswerView("q", False, REFUSAL, many, 5)
    reply = present_answer(view)
    assert_valid(reply)
    content = reply.content or ""
    assert content.startswith("The sources don't say.\n\nNot the answer")
    assert "[1] “" in content and "[2] “" in content and "[3] “" not in content
    assert all(len(line) <= 400 + len("[1] “”") for line in content.splitlines())
    assert answer_messages(view) == [content]


def test_plain_refusal_has_no_sources():
    """A refusal without citations is the refusal alone."""
    assert present_answer(AnswerView("q", False, REFUSAL)).content == "The sources don't say."
    assert answer_messages(AnswerView("q", False, REFUSAL)) == ["The sources don't say."]


def test_short_answer_renders_as_text():
    """The console shows the short answer and the quote without markdown escapes."""
    out = render_text(present_answer(read("Porto *Velano*", cited(1, "It is *Porto Velano*."))), width=200)
    assert "Porto *Velano* [1]" in out and "[1] “It is *Porto Velano*.”" in out and "\\" not in out


_PIECES = [*"ab *_~`|>#-[]()<@\\\n.!?😀", "<@1>", "@everyone", "[x](https://e.x/)", "word ", "Sentence. "]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=600).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(short=st.one_of(st.none(), _TEXT), sentences=st.lists(_TEXT, max_size=12), number=st.integers(0, 14),
       answered=st.booleans(), text=_TEXT)
def test_fuzz_answers_and_refusals_within_limits(short: str | None, sentences: list[str], number: int,
                                                 answered: bool, text: str) -> None:
    """Any short answer, sentences and refusal text: a valid reply and messages of 1-2,000 characters."""
    citations = tuple(cited(n, s or "x", title=s[:300] or None) for n, s in enumerate(sentences, start=1))
    view = AnswerView("q", answered, text, citations, 1,
                          short=ShortAnswer(short, number) if short is not None else None)
    assert_valid(present_answer(view))
    messages = answer_messages(view)
    assert messages and all(0 < len(m) <= 2000 and m.strip() for m in messages)


def _answer(short: Citation | None, *citations: Citation) -> Answer:
    return Answer(True, " ".join(f"{c.text} [{n}]" for n, c in enumerate(citations, start=1)), citations,
                  short=short)


def test_the_short_answer_takes_the_number_of_the_citation_it_lies_in():
    """Offsets inside the second citation give [2]; in its article but outside any sentence, the
    article's first citation; outside every shown citation, no short answer at all."""
    doc = "Intro. " + CARNIVAL + " " + STEWARDS
    s1 = Citation("7", 7, 7 + len(CARNIVAL), CARNIVAL)
    s2_start = doc.index(STEWARDS)
    s2 = Citation("7", s2_start, s2_start + len(STEWARDS), STEWARDS)
    number = doc.index("1,100")
    inside = Citation("7", number, number + 5, "1,100")
    shown = (cited(1, CARNIVAL), cited(2, STEWARDS))
    assert short_answer(_answer(inside, s1, s2), shown) == ShortAnswer("1,100", 2)
    assert short_answer(_answer(Citation("7", 0, 5, "Intro"), s1, s2), shown) == ShortAnswer("Intro", 1)
    assert short_answer(_answer(inside, s1, s2), shown[:1]) == ShortAnswer("1,100", 1)
    assert short_answer(_answer(Citation("8", 0, 5, "Other"), s1, s2), shown) is None  # an article not cited
    assert short_answer(_answer(inside, s1, s2), ()) is None  # its article is not visible to the server
    assert short_answer(_answer(None, s1, s2), shown) is None
    assert short_answer(_answer(Citation("7", 3, 5, "  "), s1, s2), shown) is None
