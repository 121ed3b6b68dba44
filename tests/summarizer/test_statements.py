"""Statement extraction: direct, indirect and mixed statements, speakers, verbatim spans, bad input."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

from summarizer.statements.reported import ReportedSpeech
from summarizer.sentences import split_sentences
from summarizer.statements import extract_statements
from summarizer.types import Actor, EntityType, Mention, Span, Statement

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "khamenei-statement.txt"

# the actors of the hand-written paragraphs: canonical name -> (type, surface forms)
CAST: dict[str, tuple[EntityType, tuple[str, ...]]] = {
    "Maria Lopez": ("PERSON", ("Maria Lopez", "Lopez")),
    "John Carter": ("PERSON", ("John Carter", "Carter")),
    "Acme Corp": ("ORG", ("Acme Corp", "Acme")),
    "Harbor Workers Union": ("ORG", ("Harbor Workers Union",)),
    "Ruritania": ("GPE", ("Ruritania",)),
    "Freedonia": ("GPE", ("Freedonia",)),
}


def build_actors(text: str, cast: dict[str, tuple[EntityType, tuple[str, ...]]]) -> list[Actor]:
    """Actors with a mention at every occurrence of each surface form (overlaps included, as an
    extractor that finds both "Maria Lopez" and "Lopez" would give them)."""
    actors = []
    for name, (kind, forms) in cast.items():
        mentions = [
            Mention(m.group(), m.start(), m.end(), kind)
            for form in forms
            for m in re.finditer(rf"(?<!\w){re.escape(form)}(?!\w)", text)
        ]
        actors.append(Actor(name, kind, forms, tuple(sorted(mentions, key=lambda m: m.start))))
    return actors


def check(text: str, found: list[Statement]) -> list[Statement]:
    """The guarantees every statement keeps, whatever the input."""
    for st in found:
        assert st.text == text[st.span.start : st.span.end]
        assert st.text and st.text == st.text.strip()
        assert st.kind in ("direct", "indirect", "mixed")
        if st.speaker is None and st.speaker_role is None:
            assert st.kind == "direct" and st.speaker_span is None
        if st.speaker_role is not None:  # the role is the text at the speaker span
            assert st.speaker_span is not None and text[st.speaker_span.start : st.speaker_span.end] == st.speaker_role
        if st.speaker_span is not None:
            assert text[st.speaker_span.start : st.speaker_span.end].strip()
    assert [st.span.start for st in found] == sorted(st.span.start for st in found)
    return found


def extract(text: str, cast: dict[str, tuple[EntityType, tuple[str, ...]]] | None = None) -> list[Statement]:
    actors = build_actors(text, CAST if cast is None else cast)
    return check(text, extract_statements(text, split_sentences(text), actors))


def at(text: str, fragment: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(fragment, start + 1)
    return Span(start, start + len(fragment))


def summary(found: list[Statement]) -> list[tuple[str | None, str | None, str, str]]:
    return [(st.speaker, st.cue, st.kind, st.text) for st in found]


# --- direct quotes ---------------------------------------------------------------------------------


def test_quote_before_the_cue() -> None:
    text = 'Dockers stayed home on Tuesday. "We will not back down," Lopez said after the vote.'
    [st] = extract(text)
    assert summary([st]) == [("Maria Lopez", "said", "direct", "We will not back down")]
    assert st.span == at(text, "We will not back down")
    assert st.speaker_span == at(text, "Lopez")


def test_quote_after_the_cue_with_colon_and_several_sentences() -> None:
    text = 'Maria Lopez said: "The port stays shut. Nobody works until the offer improves."'
    [st] = extract(text)
    assert summary([st]) == [
        ("Maria Lopez", "said", "direct", "The port stays shut. Nobody works until the offer improves.")
    ]
    assert st.speaker_span == at(text, "Maria Lopez")


def test_inverted_attribution_with_appositive() -> None:
    text = '"The offer is final," said John Carter, the chief executive of Acme.'
    [st] = extract(text)
    assert summary([st]) == [("John Carter", "said", "direct", "The offer is final")]
    assert st.speaker_span == at(text, "John Carter")


def test_quote_split_by_its_attribution_gives_two_statements_by_one_speaker() -> None:
    text = 'Maria Lopez addressed the strikers. "We will not retreat," she said, "not one step."'
    found = extract(text)
    assert summary(found) == [
        ("Maria Lopez", "said", "direct", "We will not retreat"),
        ("Maria Lopez", "said", "direct", "not one step."),
    ]
    assert found[0].speaker_span == found[1].speaker_span == at(text, "she")


def test_curly_quotes_and_guillemets() -> None:
    text = "“The port stays closed,” Carter told reporters. «We are ready for a long strike,» Lopez added."
    assert summary(extract(text)) == [
        ("John Carter", "told", "direct", "The port stays closed"),
        ("Maria Lopez", "added", "direct", "We are ready for a long strike"),
    ]


def test_quote_attributed_with_according_to() -> None:
    text = '"Talks are over," according to Carter.'
    assert summary(extract(text)) == [("John Carter", "according to", "direct", "Talks are over")]


def test_pronoun_speaker_from_an_earlier_sentence() -> None:
    text = 'Maria Lopez arrived in Ruritania on Monday. "The strike goes on," she told reporters.'
    [st] = extract(text)
    assert (st.speaker, st.cue, st.kind) == ("Maria Lopez", "told", "direct")
    assert st.speaker_span == at(text, "she")


def test_pronoun_does_not_take_a_name_inside_the_quote() -> None:
    text = 'The union met in Ruritania. "Carter has lied to us," she said.'
    [st] = extract(text)
    assert (st.speaker, st.speaker_span, st.kind) == (None, None, "direct")


def test_certain_quote_with_unknown_speaker_keeps_speaker_none() -> None:
    text = '"Enough is enough, we are going home," a spokesman said.'
    assert summary(extract(text)) == [(None, "said", "direct", "Enough is enough, we are going home")]


def test_quote_without_a_cue_is_dropped() -> None:
    text = 'Lopez left the hall. "We will win." The crowd went home.'
    assert extract(text) == []


def test_quote_content_keeps_question_marks_and_drops_trailing_commas() -> None:
    text = '"Why should we accept this?" Lopez asked.'
    assert summary(extract(text)) == [("Maria Lopez", "asked", "direct", "Why should we accept this?")]
    text = '" We want a fair deal " , Lopez said.'
    [st] = extract(text)
    assert st.text == "We want a fair deal"
    assert st.span == at(text, "We want a fair deal")


# --- reported speech -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "speaker", "cue", "clause"),
    [
        ("Carter said that the port would reopen next week.", "John Carter", "said",
         "the port would reopen next week"),
        ("Lopez warned that Freedonia should not expect concessions.", "Maria Lopez", "warned",
         "Freedonia should not expect concessions"),
        ("In a speech on Monday, Maria Lopez declared that the strike would last until spring.", "Maria Lopez",
         "declared", "the strike would last until spring"),
        ("Lopez emphasised that the union and its allies would stay united.", "Maria Lopez", "emphasised",
         "the union and its allies would stay united"),
        ("Carter emphasized on Friday that wages could not rise.", "John Carter", "emphasized",
         "wages could not rise"),
        ("Carter told reporters the talks had collapsed.", "John Carter", "told", "the talks had collapsed"),
        ("Carter told Lopez that the offer was final.", "John Carter", "told", "the offer was final"),
        ("Lopez said Acme had broken its promise.", "Maria Lopez", "said", "Acme had broken its promise"),
        ("The strike will continue until wages rise, Lopez said.", "Maria Lopez", "said",
         "The strike will continue until wages rise"),
        ("The port will reopen soon, said Carter on Tuesday.", "John Carter", "said", "The port will reopen soon"),
        ("According to Carter, the port will reopen on Monday.", "John Carter", "According to",
         "the port will reopen on Monday"),
        ("The port will reopen on Monday, according to Carter.", "John Carter", "according to",
         "The port will reopen on Monday"),
        ("Lopez accused Acme of breaking the agreement.", "Maria Lopez", "accused", "Acme of breaking the agreement"),
        ("Acme urged the strikers to return to work.", "Acme Corp", "urged", "the strikers to return to work"),
        ("Lopez denied that the union had taken money from Freedonia.", "Maria Lopez", "denied",
         "the union had taken money from Freedonia"),
        ("Carter has repeatedly insisted that the company is sound.", "John Carter", "insisted",
         "the company is sound"),
        ("Lopez, the union leader, said the strike would go on.", "Maria Lopez", "said", "the strike would go on"),
        ("A spokesman for Acme said that the plant would close.", "Acme Corp", "said", "the plant would close"),
        ("Ruritania threatened to close its border.", "Ruritania", "threatened", "to close its border"),
    ],
)
def test_indirect_forms(text: str, speaker: str, cue: str, clause: str) -> None:
    [st] = extract(text)
    assert summary([st]) == [(speaker, cue, "indirect", clause)]
    assert st.span == at(text, clause)


def test_pronoun_subject_resolves_to_the_previous_person() -> None:
    text = "Maria Lopez met Carter in Ruritania. He said that the meeting was useful."
    [st] = extract(text)
    # the subject of the previous sentence, not the last name in it
    assert (st.speaker, st.cue, st.text) == ("Maria Lopez", "said", "the meeting was useful")
    assert st.speaker_span == at(text, "He")


def test_pronoun_prefers_a_person_in_the_same_sentence() -> None:
    text = "Lopez spoke first. When Carter arrived, he said that nothing had changed."
    [st] = extract(text)
    assert (st.speaker, st.text) == ("John Carter", "nothing had changed")


def test_pronoun_too_far_from_any_person_is_dropped() -> None:
    text = "Lopez spoke. The port was quiet. Ships waited. Trucks queued. Gulls circled. She said that it was over."
    assert extract(text) == []


def test_it_resolves_only_when_one_organisation_is_in_reach() -> None:
    text = "Acme said that profits fell. It added that jobs were safe."
    assert summary(extract(text)) == [
        ("Acme Corp", "said", "indirect", "profits fell"),
        ("Acme Corp", "added", "indirect", "jobs were safe"),
    ]
    assert extract("Ruritania and Freedonia met in June. It said that the talks had failed.") == []


def test_participle_continues_the_speaker() -> None:
    text = '"We are done," Lopez said, adding that the union would sue Acme.'
    assert summary(extract(text)) == [
        ("Maria Lopez", "said", "direct", "We are done"),
        ("Maria Lopez", "adding", "indirect", "the union would sue Acme"),
    ]
    text = '"We are done," Lopez said in a speech on Friday, adding: "Acme will hear from our lawyers."'
    assert summary(extract(text)) == [
        ("Maria Lopez", "said", "direct", "We are done"),
        ("Maria Lopez", "adding", "direct", "Acme will hear from our lawyers."),
    ]


def test_clause_starts_after_a_leading_comma() -> None:
    text = "Carter said that, despite the strike, the port would reopen."
    clause = "despite the strike, the port would reopen"
    [st] = extract(text)
    assert (st.text, st.span) == (clause, at(text, clause))


@pytest.mark.parametrize(
    "text",
    [
        # a possessive noun phrase with a non-speech or analytic verb is the writer's analysis
        "Lopez's statement suggests that the union is ready to escalate.",
        "Lopez’s words reaffirm a long commitment to the strike.",
        "For Ruritania, Carter's remarks indicate that the dispute will last.",
        # actors in prepositional phrases or inside the reported clause are not speakers
        "Workers in Ruritania said that Carter had lied.",
        "Dockers loyal to Lopez said that Acme had lied.",
        # infinitives and nouns that look like cues
        "It is hard to say what Acme will do next.",
        "The state of Ruritania's ports worries Acme.",
        "The Secretary of State visited Freedonia.",
        # the subject of a passive is the listener, not a speaker
        "In 1995, at the age of seventeen, Lopez was told to leave the port.",
        "Carter has been urged to resign by Ruritania.",
        # a heading with a cue verb
        "Lopez Vows Strike Will Go On Until Acme Pays",
        # nobody speaks
        "This suggests that Acme will give in.",
        "The report said the talks had stalled.",
        "Rising costs and a weak market said little about the strike.",
    ],
)
def test_not_statements(text: str) -> None:
    assert extract(text) == []


def roles(found: list[Statement]) -> list[tuple[str | None, str | None, str]]:
    return [(st.speaker, st.speaker_role, st.text) for st in found]


@pytest.mark.parametrize(
    ("text", "role", "clause"),
    [
        ("Analysts said the talks had stalled.", "Analysts", "the talks had stalled"),
        ("Lopez's allies said that the strike would last weeks.", "Lopez's allies", "the strike would last weeks"),
        ("On Monday, a union spokeswoman told reporters that the strike would go on.", "a union spokeswoman",
         "the strike would go on"),
        ("The port will stay shut, a senior official said.", "a senior official", "The port will stay shut"),
        ("The port will stay shut, said a spokesman for the port authority on Monday.",
         "a spokesman for the port authority", "The port will stay shut"),
    ],
)
def test_a_speaker_named_by_role_is_kept_as_its_role_and_no_actor(text: str, role: str, clause: str) -> None:
    assert roles(extract(text)) == [(None, role, clause)]


def test_a_role_word_that_is_no_speaker_gives_no_statement() -> None:
    # 'statement' and 'report' are no speakers; an analytic cue takes no institution as its speaker
    assert extract("The official statement said the talks had stalled.") == []
    assert extract("The ministry suggests that the talks had stalled.") == []


def test_a_quote_sentence_after_an_attributed_quote_carries_on_the_same_speaker() -> None:
    text = '"The port will reopen," Carter said. "We are ready. The cranes are waiting."'
    assert summary(extract(text)) == [
        ("John Carter", "said", "direct", "The port will reopen"),
        ("John Carter", None, "direct", "We are ready. The cranes are waiting."),
    ]
    # reported speech hands on its speaker too, also to the next paragraph
    text = 'Lopez said the strike would go on.\n\n"We will not back down."'
    assert [st.speaker for st in extract(text)] == ["Maria Lopez", "Maria Lopez"]


@pytest.mark.parametrize(
    "text",
    [
        'The port is closed. "We are ready."',  # nobody spoke before
        '"The port will reopen," Carter said. Workers "are ready," the notice read.',  # not a bare quote
        '"The port will reopen," Carter said.\n\nThe crane.\n\n"We are ready."',  # a heading between
    ],
)
def test_a_quote_that_carries_on_no_turn_is_no_continuation(text: str) -> None:
    assert [st.text for st in extract(text) if st.speaker is not None and "ready" in st.text] == []


def test_a_clause_that_ends_in_a_quote_with_the_comma_inside_is_reported_with_its_attribution() -> None:
    text = "The port needs workers “who will stay,” Carter said."
    assert summary(extract(text)) == [("John Carter", "said", "mixed", "The port needs workers “who will stay,”")]


def test_a_coordinated_speech_verb_takes_the_subject_of_the_first_verb() -> None:
    text = "Carter praised the union and said the port would reopen."
    assert summary(extract(text)) == [("John Carter", "said", "indirect", "the port would reopen")]
    # the first verb's subject is no actor: nobody is named as the speaker
    assert extract("The report praised Carter and said the port would reopen.") == []


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("Carter said it's time to reopen the port.", "it's time to reopen the port"),
        ("Carter announced they'll reopen the port.", "they'll reopen the port"),
        ("Carter spoke for an hour, adding the port would reopen.", "the port would reopen"),
    ],
)
def test_bare_reported_clauses(text: str, clause: str) -> None:
    assert [(st.speaker, st.text) for st in extract(text)] == [("John Carter", clause)]


def test_a_bare_object_is_no_reported_clause() -> None:
    assert extract("Carter announced a deal with Acme.") == []
    assert extract("The meeting ran long, adding the port would reopen.") == []


def test_a_name_before_several_appositive_segments_is_the_speaker() -> None:
    text = "Maria Lopez, 49, who has led the union since 2010, said the strike would go on."
    assert summary(extract(text)) == [("Maria Lopez", "said", "indirect", "the strike would go on")]


def test_a_name_that_modifies_a_role_after_the_verb_is_not_the_speaker() -> None:
    text = '"The port will reopen," said a Ruritania port official.'
    assert roles(extract(text)) == [(None, "a Ruritania port official", "The port will reopen")]


def test_objects_and_clause_mentions_are_not_speakers() -> None:
    text = "Lopez warned that Freedonia and Ruritania should not expect concessions from Acme."
    found = extract(text)
    assert [st.speaker for st in found] == ["Maria Lopez"]
    text = "Carter accused Lopez of lying."
    assert [st.speaker for st in extract(text)] == ["John Carter"]


def test_two_speakers_in_one_paragraph() -> None:
    text = (
        "Carter said that the offer was final. Lopez replied that the union would strike. "
        '"We have nothing to add," Carter said.'
    )
    assert summary(extract(text)) == [
        ("John Carter", "said", "indirect", "the offer was final"),
        ("Maria Lopez", "replied", "indirect", "the union would strike"),
        ("John Carter", "said", "direct", "We have nothing to add"),
    ]


# --- mixed statements and scare quotes -------------------------------------------------------------


def test_partial_quote_in_a_participial_clause_is_mixed() -> None:
    text = 'Carter has long criticised the union, describing its leaders as "reckless gamblers" who hurt the city.'
    [st] = extract(text)
    assert summary([st]) == [
        ("John Carter", "describing", "mixed", 'its leaders as "reckless gamblers" who hurt the city')
    ]
    assert st.speaker_span == at(text, "Carter")


def test_partial_quote_after_a_naming_verb_is_mixed() -> None:
    text = 'Lopez called the offer "an insult to every worker" on Monday.'
    [st] = extract(text)
    assert summary([st]) == [("Maria Lopez", "called", "mixed", 'the offer "an insult to every worker" on Monday')]


def test_partial_quote_inside_reported_clause_is_mixed() -> None:
    text = 'Carter said the offer was "final and generous" and would not change.'
    assert summary(extract(text)) == [
        ("John Carter", "said", "mixed", 'the offer was "final and generous" and would not change')
    ]
    text = 'Lopez said that "the company has betrayed us."'
    assert summary(extract(text)) == [("Maria Lopez", "said", "mixed", '"the company has betrayed us."')]


@pytest.mark.parametrize(
    "text",
    [
        'The so-called "peace dividend" never arrived in Ruritania.',
        'The film "Harbor Lights" opened in Freedonia.',
        'Acme sells its "premium" service to Ruritania.',
    ],
)
def test_scare_quotes_and_titles_without_a_speaker_are_dropped(text: str) -> None:
    assert extract(text) == []


# --- verbatim guarantee ----------------------------------------------------------------------------


def test_a_statement_that_is_not_verbatim_is_dropped_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Carter said that the port would reopen. Lopez said that the strike would go on."
    real_make = ReportedSpeech.make

    def make(self, speaker, cue, clause):  # type: ignore[no-untyped-def]
        st = real_make(self, speaker, cue, clause)
        if st is not None and st.speaker == "John Carter":  # a bug that "repairs" the text
            st = Statement(st.speaker, st.speaker_span, st.cue, st.text.upper(), st.span, st.kind)
        return st

    monkeypatch.setattr(ReportedSpeech, "make", make)
    with caplog.at_level(logging.WARNING, logger="summarizer.statements"):
        found = extract(text)
    assert summary(found) == [("Maria Lopez", "said", "indirect", "the strike would go on")]
    assert "not the article's text" in caplog.text


def test_mentions_that_do_not_match_the_text_are_ignored() -> None:
    text = "Carter said that the port would reopen."
    wrong = Actor("Maria Lopez", "PERSON", (), (Mention("Lopez", 0, 5, "PERSON"),))  # text[0:5] is "Carte"
    assert extract_statements(text, split_sentences(text), [wrong]) == []


def test_sentences_default_to_the_splitter() -> None:
    text = "Carter said that the port would reopen. Lopez said that the strike would go on."
    actors = build_actors(text, CAST)
    assert extract_statements(text, [], actors) == extract_statements(text, split_sentences(text), actors)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n ", '"', "“”", "«", '"" ""', ".", "Lopez said", "said that"])
def test_empty_and_tiny_input(text: str) -> None:
    extract(text)


def test_html_passed_as_text() -> None:
    text = (
        '<html><body><p class="lead">Carter said that the port would reopen.</p>\n'
        '<a href="https://example.com/a?b=c">link</a> <script>var s = "said that x";</script></body></html>'
    )
    found = extract(text)
    # no crash; attribute values and script strings are no statements
    assert not any(st.text in ("lead", "https://example.com/a?b=c", "said that x", "x") for st in found)
    assert all(st.speaker == "John Carter" for st in found)


def test_unbalanced_quote_does_not_swallow_the_article() -> None:
    body = " ".join(f"Line {i} of the report describes the harbour." for i in range(60))
    text = f'Lopez said: "We will never go back. {body} Carter said that the port would reopen.'
    found = extract(text)
    # the unclosed quote stays within its sentence (reported as Lopez's clause, the stray mark left out)
    assert summary(found) == [
        ("Maria Lopez", "said", "indirect", "We will never go back"),
        ("John Carter", "said", "indirect", "the port would reopen"),
    ]
    # and an unclosed quote in one paragraph leaves the next paragraph's quotes intact
    text = 'Lopez said: "We will never go back.\n\n"The offer is final," Carter said.'
    assert summary(extract(text)) == [
        ("Maria Lopez", "said", "indirect", "We will never go back"),
        ("John Carter", "said", "direct", "The offer is final"),
    ]


def test_long_quote_is_capped() -> None:
    long_quote = " ".join(["We will stay on strike until the company listens."] * 40)  # ~2,000 chars
    text = f'Lopez said: "{long_quote}" Carter said that the port would reopen.'
    found = extract(text)
    assert all(len(st.text) <= 1500 for st in found)
    assert ("John Carter", "said", "indirect", "the port would reopen") in summary(found)


@pytest.mark.parametrize(
    "text",
    [
        "« Nous ne reculerons pas d'un pas », a déclaré Lopez. Selon Carter, le port rouvrira lundi.",
        "„Wir weichen keinen Schritt zurück“, sagte Lopez. Carter erklärte, der Hafen öffne am Montag.",
        "«Мы не отступим ни на шаг», — заявил Лопес. Картер сказал, что порт откроется.",
        "قال لوبيز: «لن نتراجع خطوة واحدة». وقال كارتر إن الميناء سيفتح يوم الاثنين.",
        "洛佩斯说：“我们一步也不会后退。”卡特表示，港口将于周一重新开放。",
    ],
)
def test_other_languages_do_not_crash(text: str) -> None:
    found = extract(text)
    assert all(st.kind in ("direct", "indirect", "mixed") for st in found)


def test_one_megabyte_of_news_is_fast() -> None:
    paragraph = (
        'Maria Lopez said that the strike would go on. "We will not back down," she told reporters, '
        '"not one step." Carter called the demand "absurd" and said Acme would wait. '
        "The port will reopen soon, according to Carter. Lopez's statement suggests that talks are over. "
        'An unclosed quote: "this one never ends.\n\n'
    )
    text = paragraph * (1_000_000 // len(paragraph))
    actors = build_actors(text, CAST)
    started = time.perf_counter()
    found = extract_statements(text, split_sentences(text), actors)
    elapsed = time.perf_counter() - started
    check(text, found)
    assert elapsed < 6  # ~0.4 s measured
    per_paragraph = len(found) / (1_000_000 // len(paragraph))
    # said that / two direct halves / called "absurd" (mixed) / and said / according to; not the
    # analysis sentence, and the unclosed quote gives nothing
    assert per_paragraph == 6


@pytest.mark.parametrize(
    "unit",
    [
        '"',  # only quote marks
        '“ ',
        "Lopez said ",  # one endless sentence of cues
        "Lopez told Carter that he said that Acme ",  # cues and pronouns, no full stop
        "Lopez, the leader, said that ",
        "Ruritania Freedonia Acme, Lopez said ",
        'Lopez, referring to a "tumor" ',
        '"We will," Lopez said, "fight." ',  # tens of thousands of real quotes
        ". ",
        "Lopez said\n",
    ],
)
def test_adversarial_input_stays_linear(unit: str) -> None:
    text = unit * (300_000 // len(unit))
    actors = build_actors(text, CAST)
    started = time.perf_counter()
    found = extract_statements(text, split_sentences(text), actors)
    assert time.perf_counter() - started < 4  # quadratic work would take minutes here
    check(text, found)


# --- the sample article ----------------------------------------------------------------------------

SAMPLE_CAST: dict[str, tuple[EntityType, tuple[str, ...]]] = {
    "Ali Khamenei": ("PERSON", ("Ayatollah Ali Khamenei", "Ayatollah Khamenei", "Khamenei")),
    "Iran": ("GPE", ("Iran",)),
    "Israel": ("GPE", ("Israel",)),
    "Hezbollah": ("ORG", ("Hezbollah",)),
    "Hamas": ("ORG", ("Hamas",)),
    "Islamic Jihad": ("ORG", ("Islamic Jihad",)),
    "Saudi Arabia": ("GPE", ("Saudi Arabia",)),
    "United Arab Emirates": ("GPE", ("United Arab Emirates",)),
    "United States": ("GPE", ("U.S.",)),
    "Lebanon": ("GPE", ("Lebanon",)),
    "Syria": ("GPE", ("Syria",)),
}


@pytest.fixture
def sample() -> tuple[str, list[Statement]]:
    text = SAMPLE.read_text(encoding="utf-8")
    return text, extract(text, SAMPLE_CAST)


@pytest.mark.shared
def test_sample_direct_quote(sample: tuple[str, list[Statement]]) -> None:
    text, found = sample
    direct = [st for st in found if st.kind == "direct"]
    assert summary(direct) == [("Ali Khamenei", "stated", "direct", "We will not retreat one step")]
    assert direct[0].span == at(text, "We will not retreat one step")
    assert text[direct[0].speaker_span.start : direct[0].speaker_span.end] == "Khamenei"  # type: ignore[union-attr]


@pytest.mark.shared
def test_sample_reported_statements(sample: tuple[str, list[Statement]]) -> None:
    text, found = sample
    indirect = {st.cue: st for st in found if st.kind == "indirect"}
    assert set(indirect) == {"declared", "emphasized", "warned"}
    assert all(st.speaker == "Ali Khamenei" for st in indirect.values())
    assert indirect["declared"].text == "Iran and its allies would not retreat in their stance against Israel"
    assert indirect["emphasized"].text.startswith("Iran and its allies—namely groups such as Hezbollah")
    assert indirect["emphasized"].text.endswith("remain resolute in their opposition to Israeli policies in the region")
    warned = indirect["warned"]
    assert warned.text == "Israel should not expect any de-escalation from Iran's axis of resistance"
    assert text[warned.speaker_span.start : warned.speaker_span.end] == "He"  # type: ignore[union-attr]


@pytest.mark.shared
def test_sample_mixed_statement(sample: tuple[str, list[Statement]]) -> None:
    _, found = sample
    mixed = [st for st in found if st.kind == "mixed"]
    assert summary(mixed) == [
        ("Ali Khamenei", "referring to", "mixed", 'the country as a "cancerous tumor" that should be eradicated')
    ]


@pytest.mark.shared
def test_sample_has_no_statements_by_others_or_from_analysis(sample: tuple[str, list[Statement]]) -> None:
    text, found = sample
    assert {st.speaker for st in found} == {"Ali Khamenei"}
    assert len(found) == 5
    for phrase in ("statement suggests", "words reaffirm", "statement indicates", "assertion that", "Vows", "Says"):
        where = text.index(phrase)
        assert not any(st.span.start <= where < st.span.end for st in found), phrase


@pytest.mark.shared
def test_sample_speed() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    actors = build_actors(text, SAMPLE_CAST)
    extract_statements(text, split_sentences(text), actors)
    started = time.perf_counter()
    for _ in range(20):
        extract_statements(text, split_sentences(text), actors)
    assert (time.perf_counter() - started) / 20 < 0.05  # measured ~1-2 ms for split + statements


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The authority's director, Jonas Keel, said that ships would be cleared within a week.",
         [("Jonas Keel", "said", "indirect", "ships would be cleared within a week")]),
        ("It was cold. The port's new director, Jonas Keel, said that ships would be cleared soon.",
         [("Jonas Keel", "said", "indirect", "ships would be cleared soon")]),
        # the name is the object of "arrested", not a subject: nothing is Keel's (the spokesman said it)
        ("Police arrested the director, Jonas Keel, said a spokesman.",
         [(None, "said", "indirect", "Police arrested the director, Jonas Keel")]),
    ],
)
def test_name_as_the_appositive_of_a_role(text: str, expected: list[tuple[str | None, str, str, str]]) -> None:
    found = extract(text, {"Jonas Keel": ("PERSON", ("Jonas Keel",))})
    assert [(s.speaker, s.cue, s.kind, s.text) for s in found] == expected


def test_quotations_marked_by_two_apostrophes_or_backticks_are_quotes_cut_from_the_text_as_it_is() -> None:
    text = ("''The port will reopen,'' Carter said. ''We are ready.''\n\n"
            "Lopez called the offer ``an insult'' and left. Acme's ''premium'' plan costs more.")
    found = extract(text)
    assert summary(found) == [
        ("John Carter", "said", "direct", "The port will reopen"),
        ("John Carter", None, "direct", "We are ready."),
        ("Maria Lopez", "called", "mixed", "the offer ``an insult''"),
    ]
    # a lone pair, or a run of three, is no quotation mark
    assert extract("Carter's ''' note said nothing.") == []


@pytest.mark.parametrize(
    ("text", "speaker", "role", "clause"),
    [
        ("The port lost $2 million in May, according to company records.", None, "company records",
         "The port lost $2 million in May"),
        ("According to a senior official who attended, the talks had stalled.", None, "a senior official",
         "the talks had stalled"),
        ("The port will reopen, according to Carter, the harbour master.", "John Carter", None,
         "The port will reopen"),
    ],
)
def test_according_to_any_named_source(text: str, speaker: str | None, role: str | None, clause: str) -> None:
    assert roles(extract(text)) == [(speaker, role, clause)]


@pytest.mark.parametrize(
    "text",
    [
        "The work went according to plan, and the port reopened.",
        "According to him, the port will reopen.",  # a pronoun with no antecedent in reach
        "The port, according to Carter's plan, will reopen in May.",  # a possessive: Carter's plan says nothing
    ],
)
def test_according_to_without_a_source(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name, then an appositive to the end of the sentence
        ("Federal rules are a burden, said Carter, a port manager who has run the harbour since 2010.",
         ("John Carter", None, "Federal rules are a burden")),
        # a role before an appositive
        ("An Acme official, speaking on condition of anonymity, said that the port would reopen.",
         (None, "An Acme official", "the port would reopen")),
        # the listener is an actor
        ("Carter told Acme he would reopen the port.", ("John Carter", None, "he would reopen the port")),
        # a day between the verb and the clause
        ("Carter said Wednesday she, too, wants a new vote.", ("John Carter", None, "she, too, wants a new vote")),
        # a name the tagger missed opens the clause
        ("Carter says Governor Smith is unfit to serve.", ("John Carter", None, "Governor Smith is unfit to serve")),
        # a role title before the name at the end
        ("Boots on the ground would be wrong, port manager Carter said.",
         ("John Carter", None, "Boots on the ground would be wrong")),
    ],
)
def test_more_attribution_shapes(text: str, expected: tuple[str | None, str | None, str]) -> None:
    assert roles(extract(text)) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "The ships stayed, Carter added, unloaded and unsold.",  # 'added' takes an object here, not a speaker
        "Carter said May would be busy.",  # a month is no name that opens a clause
        "Carter told Freedonia's envoy nothing.",  # the listener is followed by no clause
    ],
)
def test_more_attribution_shapes_that_are_not_statements(text: str) -> None:
    assert [st.text for st in extract(text) if st.speaker == "John Carter"] == []


def test_a_name_the_tagger_missed_is_kept_as_written() -> None:
    text = "The port rules are a burden, Hollande said. The Harbour Gazette reported that the port would reopen."
    assert roles(extract(text)) == [(None, "Hollande", "The port rules are a burden"),
                                    (None, "The Harbour Gazette", "the port would reopen")]


@pytest.mark.parametrize(
    "text",
    [
        "Polls suggest that the port would reopen.",  # a capitalised first word is no name
        "Some say that the port would reopen.",
        "Editor's note: the port would reopen.",
    ],
)
def test_capitalised_words_that_are_no_name_speak_for_nobody(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Carter said dockers were ready to return.", "dockers were ready to return"),
        ("Carter says shippers will pay more.", "shippers will pay more"),
        ("Carter said nothing was decided.", None),  # 'nothing' is said, not a subject
        ("Carter said hello to the dockers.", None),
        ("Carter said goodbye.", None),
    ],
)
def test_a_bare_clause_after_say_with_a_plain_noun_subject(text: str, found: str | None) -> None:
    assert [st.text for st in extract(text)] == ([found] if found else [])


def test_titles_with_a_period_do_not_end_an_attribution() -> None:
    text = '"The port will reopen," Mr. Carter said. "It is ready," said Gov. Lopez.'
    assert summary(extract(text)) == [("John Carter", "said", "direct", "The port will reopen"),
                                      ("Maria Lopez", "said", "direct", "It is ready")]


def test_he_after_a_quote_sentence_is_the_speaker_of_that_quote() -> None:
    text = ('Lopez met Carter on Monday. "The port will reopen," Carter said. "We are ready." "The cranes wait."'
            ' "The ships wait."\n\nHe said the union had agreed.')
    assert [(st.speaker, st.text) for st in extract(text)][-1] == ("John Carter", "the union had agreed")


def test_a_name_the_tagger_missed_right_after_a_quote_is_the_quotes_speaker() -> None:
    text = '"We will win the vote," Hollande said. "The count is fine."'
    assert roles(extract(text)) == [(None, "Hollande", "We will win the vote"), (None, "Hollande", "The count is fine.")]
