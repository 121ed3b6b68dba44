"""Sentence splitting: boundaries in news text, exact offsets, paragraphs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from summarizer.sentences import is_lowercased, quote_pairs, split_sentences
from summarizer.types import Sentence

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "khamenei-statement.txt"


def split(text: str) -> list[Sentence]:
    """split_sentences with its invariants checked: exact offsets, trimmed, in order, indexed."""
    out = split_sentences(text)
    last_end, last_paragraph = 0, 0
    for i, s in enumerate(out):
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.index == i
        assert s.start >= last_end
        assert s.paragraph >= last_paragraph
        last_end, last_paragraph = s.end, s.paragraph
    # nothing but whitespace is left out
    covered = "".join(text[a.end : b.start] for a, b in zip(out, out[1:]))
    assert not covered.strip()
    if out:
        assert not text[: out[0].start].strip() and not text[out[-1].end :].strip()
    return out


def texts(text: str) -> list[str]:
    return [s.text for s in split(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # abbreviations inside a sentence
        ("Officials in the U.S. and the U.K. signed the accord. Markets rose on the news.",
         ["Officials in the U.S. and the U.K. signed the accord.", "Markets rose on the news."]),
        ("Dr. Patel met Gen. Amos Reyes and Sen. Lena Ortiz on Jan. 12 in Ohio. They spoke for an hour.",
         ["Dr. Patel met Gen. Amos Reyes and Sen. Lena Ortiz on Jan. 12 in Ohio.", "They spoke for an hour."]),
        ("Mr. Okafor lives at No. 4 Church St. in Lagos. He moved there in 2019.",
         ["Mr. Okafor lives at No. 4 Church St. in Lagos.", "He moved there in 2019."]),
        ("Shares of Borealis Inc. fell sharply. The company blamed the weather, rain, snow, etc. Analysts shrugged.",
         ["Shares of Borealis Inc. fell sharply.", "The company blamed the weather, rain, snow, etc.",
          "Analysts shrugged."]),
        # an abbreviation that ends a sentence
        ("The summit was held in the U.S. The next one will be in Brazil.",
         ["The summit was held in the U.S.", "The next one will be in Brazil."]),
        # titles that are words, not abbreviations
        ("The crowd waited for the Ayatollah. Then the speech began.",
         ["The crowd waited for the Ayatollah.", "Then the speech began."]),
        # initials
        ("J. R. R. Tolkien finished the book in 1949. George W. Bush praised it decades later.",
         ["J. R. R. Tolkien finished the book in 1949.", "George W. Bush praised it decades later."]),
        # numbers, money, times
        ("Inflation rose 3.5% to a 1.2bn deficit, or $1.2bn, by 7.30 p.m. on Friday. Bonds fell 0.4 points.",
         ["Inflation rose 3.5% to a 1.2bn deficit, or $1.2bn, by 7.30 p.m. on Friday.", "Bonds fell 0.4 points."]),
        ("The vote closed at 9 p.m. The count began at once.",
         ["The vote closed at 9 p.m.", "The count began at once."]),
        # ellipses, questions, exclamations
        ("He hesitated... Then he signed. Was it a mistake? Nobody could tell! The talks ended… Everyone left.",
         ["He hesitated...", "Then he signed.", "Was it a mistake?", "Nobody could tell!", "The talks ended…",
          "Everyone left."]),
        ("The so-called plan ... was never published.", ["The so-called plan ... was never published."]),
        # brackets
        ("(The minister declined to comment.) The report was released anyway.",
         ["(The minister declined to comment.)", "The report was released anyway."]),
    ],
)
def test_abbreviations_initials_numbers_and_punctuation(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a multi-sentence quote followed by its attribution is one sentence
        ('"We will hold the line. We will not give up," the mayor said. Residents cheered.',
         ['"We will hold the line. We will not give up," the mayor said.', "Residents cheered."]),
        ("“We are ready. We have always been ready,” she told the crowd. Then she left.",
         ["“We are ready. We have always been ready,” she told the crowd.", "Then she left."]),
        ("«Nothing is decided. Nothing is final,» the envoy said. The talks resume today.",
         ["«Nothing is decided. Nothing is final,» the envoy said.", "The talks resume today."]),
        # a quote introduced before and closing two sentences later
        ('The coach said: "We lost. We deserved it. We move on." The club agreed.',
         ['The coach said: "We lost. We deserved it. We move on."', "The club agreed."]),
        ('Critics called the budget "late. Very late. Too late." The ministry disagreed.',
         ['Critics called the budget "late. Very late. Too late."', "The ministry disagreed."]),
        # a question inside a quote followed by lower-case attribution
        ('"Is this the end?" he asked. Nobody answered.', ['"Is this the end?" he asked.', "Nobody answered."]),
        ('"Is this the end?" Maria Lopez asked. Nobody answered.',
         ['"Is this the end?" Maria Lopez asked.', "Nobody answered."]),
        ('"Is this the end?" Nobody answered.', ['"Is this the end?"', "Nobody answered."]),
        # a quote after the full stop starts a new sentence
        ('"We will fight," she said. "We will win."', ['"We will fight," she said.', '"We will win."']),
        # an unbalanced quote does not glue the rest of the paragraph together
        ('He said "we are done. The rest followed. Then the vote came.',
         ['He said "we are done.', "The rest followed.", "Then the vote came."]),
    ],
)
def test_quotations(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_long_quotation_without_attribution_is_split_inside() -> None:
    inner = " ".join(f"Sentence number {i} of a long speech is here." for i in range(12))
    text = f'The full text read: "{inner}" The session closed.'
    got = texts(text)
    assert len(got) >= 12
    assert got[-1] == "The session closed."


def test_long_quotation_running_into_attribution_stays_whole() -> None:
    inner = " ".join(f"Point {i} of the plan is clear." for i in range(12))
    text = f'"{inner} We go on," the minister said. The session closed.'
    assert texts(text) == [f'"{inner} We go on," the minister said.', "The session closed."]


def test_headlines_captions_and_paragraphs() -> None:
    text = (
        "Storm Hits the Coast\n\n"
        "Residents were told to leave. Most did.\n\n"
        "A flooded street in Porto (Photo: Ana Reis)\n"
        "Water rose overnight. The army was called in.\n"
        "What Comes Next\n"
        "The forecast is grim."
    )
    got = split(text)
    assert [s.text for s in got] == [
        "Storm Hits the Coast",
        "Residents were told to leave.",
        "Most did.",
        "A flooded street in Porto (Photo: Ana Reis)",
        "Water rose overnight.",
        "The army was called in.",
        "What Comes Next",
        "The forecast is grim.",
    ]
    assert [s.paragraph for s in got] == [0, 1, 1, 2, 2, 2, 2, 2]


def test_heading_after_a_sentence_ending_in_an_abbreviation() -> None:
    text = "The treaty was signed in the U.S.\nRegional Reactions\nNeighbours were cautious."
    assert texts(text) == ["The treaty was signed in the U.S.", "Regional Reactions", "Neighbours were cautious."]


def test_hard_wrapped_lines_are_joined() -> None:
    text = "The council voted to close the old bridge to\ntraffic from March. Repairs will take a year."
    assert texts(text) == [
        "The council voted to close the old bridge to\ntraffic from March.",
        "Repairs will take a year.",
    ]


def test_lists() -> None:
    text = (
        "The plan has three parts:\n"
        "- a ceasefire along the border\n"
        "- the release of prisoners\n"
        "• talks on a final settlement\n"
        "1. First, both sides withdraw.\n"
        "2. Then observers arrive."
    )
    assert texts(text) == [
        "The plan has three parts:",
        "- a ceasefire along the border",
        "- the release of prisoners",
        "• talks on a final settlement",
        "1. First, both sides withdraw.",
        "2. Then observers arrive.",
    ]


def test_offsets_with_odd_whitespace_and_crlf() -> None:
    text = "  \r\n  First one.\u00a0 Second one!\r\n\r\n\tThird one?  \n\n\n"
    got = split(text)
    assert [s.text for s in got] == ["First one.", "Second one!", "Third one?"]
    assert [s.paragraph for s in got] == [0, 0, 1]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "...", '"', "“”", "a"])
def test_degenerate_input(text: str) -> None:
    split(text)


def test_quote_pairs() -> None:
    text = 'He said "yes" and “no” but «maybe», then "unclosed'
    pairs = quote_pairs(text)
    assert [text[o + 1 : c] for o, c in pairs] == ["yes", "no", "maybe"]


def test_quote_pairs_cap_stops_an_unbalanced_quote() -> None:
    text = '"' + "x " * 1000 + 'end" and "short"'
    assert [text[o + 1 : c] for o, c in quote_pairs(text, max_len=1500)] == ["short"]


def test_linear_on_large_input() -> None:
    chunk = 'The U.S. envoy, Dr. A. B. Cole, said: "We are close. Very close." Talks resume at 9 a.m. Monday.\n\n'
    text = chunk * (1_000_000 // len(chunk))
    started = time.perf_counter()
    got = split(text)
    assert time.perf_counter() - started < 5
    assert len(got) == 2 * (1_000_000 // len(chunk))


@pytest.mark.shared
def test_sample_article() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    got = split(text)
    by_text = [s.text for s in got]
    # the quote and its attribution are one sentence, with no boundary inside the quote
    quote = '"We will not retreat one step,"'
    holding = [s for s in got if quote in s.text]
    assert len(holding) == 1 and holding[0].text.startswith(quote + " Khamenei stated, underscoring")
    start = text.index(quote)
    assert not any(start < s.start < start + len(quote) for s in got)
    # headings are sentences of their own
    for heading in ["Khamenei's Firm Stance", "The Context of Growing Tensions", "Why Khamenei's Words Matter",
                    "Regional Implications", "What’s Next?"]:
        assert heading in by_text
    assert by_text[0].startswith("Khamenei Vows Iran and Allies") and by_text[0].endswith("in the Middle East")
    assert by_text[1].startswith("Title: ")
    assert "The U.S. and European nations would find themselves in a difficult position" in by_text[31]
    assert len(got) == 40
    assert max(s.paragraph for s in got) == 19


@pytest.mark.shared
def test_sample_speed() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    split_sentences(text)
    started = time.perf_counter()
    for _ in range(20):
        split_sentences(text)
    per_article = (time.perf_counter() - started) / 20
    assert per_article < 0.02  # measured ~0.5-1 ms; the margin absorbs a shared, loaded machine


def test_lower_cased_text_splits_at_full_stops_but_not_after_abbreviations() -> None:
    text = ("the port reopened on monday. workers said the strike was over. mr. carter, the u.s. envoy, "
            "arrived at 3 p.m. he left soon after. the talks resume jan. 5 in geneva.")
    assert [s.text for s in split_sentences(text)] == [
        "the port reopened on monday.", "workers said the strike was over.",
        "mr. carter, the u.s. envoy, arrived at 3 p.m.", "he left soon after.",
        "the talks resume jan. 5 in geneva.",
    ]


def test_a_lower_cased_paragraph_in_a_cased_text_splits_and_a_cased_one_keeps_its_rules() -> None:
    text = ("The port reopened. Officials in the U.S. and the U.K. signed the accord. Markets rose.\n\n"
            "the port reopened on monday. workers said the strike was over. the union agreed. ships left.")
    sentences = split_sentences(text)
    assert [s.text for s in sentences if s.paragraph == 0] == [
        "The port reopened.", "Officials in the U.S. and the U.K. signed the accord.", "Markets rose."]
    assert len([s for s in sentences if s.paragraph == 1]) == 4


def test_cased_text_with_a_lower_case_word_after_a_stop_is_not_lower_cased() -> None:
    assert not is_lowercased("The plan, e.g. the first one, failed. It was late. See p. 4 of the report. He left.")
