"""Organisation rules (issue 14, actors): names around a head word kept whole, facilities as
places, acronyms the text defines, "the union" merged into the one union of the text, and the
rules' work on hostile text. Most tests need no model; the last ones run the real tagger."""

from __future__ import annotations

import re

import pytest

from summarizer.actors import build_actors
from summarizer.actors.canonical import MAX_MENTIONS
from summarizer.actors.gazetteer import default_gazetteer
from summarizer.actors.ner import merge_rules
from summarizer.actors.organisations import (
    acronym_definitions,
    acronym_of,
    apply_organisation_rules,
    find_organisations,
)
from summarizer.analyzer import Analyzer
from summarizer.types import Mention
from tests.summarizer.hostile_text import python_steps


def _found(text: str) -> list[tuple[str, str]]:
    return [(text[o.start : o.end], o.type) for o in find_organisations(text)]


def _mention(text: str, surface: str, kind: str, nth: int = 0) -> Mention:
    starts = [m.start() for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text)]
    return Mention(surface, starts[nth], starts[nth] + len(surface), kind)  # type: ignore[arg-type]


def _rules(text: str, mentions: list[Mention]) -> list[tuple[str, str]]:
    gaz = default_gazetteer()
    matches = gaz.find(text)
    return [(m.text, m.type) for m in apply_organisation_rules(text, merge_rules(text, mentions, matches), matches)]


# ---------------------------------------------------------------- one pattern at a time, each with a negative


@pytest.mark.parametrize(("text", "name", "kind"), [
    ("Members of the Rail Workers' Union voted on Monday.", "Rail Workers' Union", "ORG"),
    ("The Labour Party said it would abstain.", "Labour Party", "ORG"),
    ("He signed for Manchester United FC in May.", "Manchester United FC", "ORG"),
    ("Shares of Acme Corp. fell.", "Acme Corp.", "ORG"),
    ("Shares of Acme Inc. fell.", "Acme Inc.", "ORG"),
    ("Northline Holdings Ltd. reported a loss.", "Northline Holdings Ltd.", "ORG"),
    ("The Harbor City Council voted 7-4.", "Harbor City Council", "ORG"),
    ("A report by the Marine Research Institute found vents.", "Marine Research Institute", "ORG"),
    ("The National Rail Agency approved it.", "National Rail Agency", "ORG"),
    ("The Security Committee met.", "Security Committee", "ORG"),
    ("The Vell Football Association fined the club.", "Vell Football Association", "ORG"),
    ("She studied at Vellmark University before that.", "Vellmark University", "ORG"),
    ("The Harbor Savings Bank lent the money.", "Harbor Savings Bank", "ORG"),
    # a head, "of", an optional "the" and capitalised words
    ("Officials at the Ministry of Health said so.", "Ministry of Health", "ORG"),
    ("The Department of Transport declined to comment.", "Department of Transport", "ORG"),
    ("He teaches at the University of Vellmark.", "University of Vellmark", "ORG"),
    ("The Bank of England raised rates.", "Bank of England", "ORG"),
    ("The World Organization of the Scout Movement admitted it.", "World Organization of the Scout Movement", "ORG"),
    ("He cooperated with the University of Mostar's Medical Faculty.", "University of Mostar", "ORG"),
    # facilities are places
    ("The shuttle will go to the Harbor City Airport next year.", "Harbor City Airport", "LOC"),
    ("They played at Vell Stadium on Sunday.", "Vell Stadium", "LOC"),
    ("The Museum of Flight was disappointed.", "Museum of Flight", "LOC"),
    ("It launched from the Kennedy Space Center.", "Kennedy Space Center", "LOC"),
])
def test_a_name_around_an_organisation_head_is_one_name(text: str, name: str, kind: str) -> None:
    assert (name, kind) in _found(text)


@pytest.mark.parametrize("text", [
    "The union said the talks had failed.",  # a head alone names nothing
    "Union members walked out.",  # sentence-initial, nothing before it
    "She lives on Union Street.",  # the head does not end the name
    "The ministry of health said so.",  # lower case
    "The Ministry said so.",  # "Ministry" without "of ..."
    "the party was over.",
    "Party officials met.",
    "They met at the bank of the river.",
])
def test_a_head_word_without_a_name_is_no_organisation(text: str) -> None:
    assert _found(text) == []


def test_a_possessive_ends_a_name_before_the_head() -> None:
    """"Britain's Labour Party": the country is not part of the party's name."""
    assert _found("Britain's Labour Party won.") == [("Labour Party", "ORG")]


def test_two_organisations_joined_by_of_stay_two() -> None:
    text = "The regiment joined the IV Corps of the Army of the Potomac."
    found = dict(_found(text))
    assert "Army of the Potomac" in found
    assert "IV Corps of the Army" not in found


def test_a_facility_word_alone_or_in_lower_case_is_nothing() -> None:
    assert _found("The airport was closed and the Stadium was empty.") == []


def test_a_tagged_event_is_no_organisation() -> None:
    text = "During the Bangladesh Liberation War he raced in the Zandvoort Grand Prix for the Vell Racing Club."
    tagged = [_mention(text, "Bangladesh Liberation War", "ORG"), _mention(text, "Zandvoort Grand Prix", "ORG"),
              _mention(text, "Vell Racing Club", "ORG")]
    assert _rules(text, tagged) == [("Bangladesh Liberation War", "MISC"), ("Zandvoort Grand Prix", "MISC"),
                                    ("Vell Racing Club", "ORG")]


def test_a_known_place_or_organisation_keeps_its_type() -> None:
    """"West Bank" is a place and "European Union" the gazetteer's organisation, not new ones."""
    text = "The European Union criticised settlements in the West Bank."
    found = _rules(text, [])
    assert ("West Bank", "GPE") in found
    assert ("European Union", "ORG") in found
    assert sum(1 for _, k in found if k == "ORG") == 1


def test_a_tagged_place_of_the_same_span_stays_a_place() -> None:
    text = "He was born in Aringay, La Union, in 1760."
    assert ("La Union", "GPE") in _rules(text, [_mention(text, "Aringay", "GPE"), _mention(text, "La Union", "GPE")])


# ---------------------------------------------------------------- the tagger's pieces and slips


def test_the_pieces_the_tagger_cut_give_way_to_the_whole_name() -> None:
    """The demo feed: the tagger cuts "The Rail Workers' Union" at the apostrophe."""
    text = "The Rail Workers' Union called off a strike with Northline Trains."
    tagged = [Mention("Rail Workers", 4, 16, "ORG"), Mention("Union", 18, 23, "ORG"),
              _mention(text, "Northline Trains", "ORG")]
    assert _rules(text, tagged) == [("Rail Workers' Union", "ORG"), ("Northline Trains", "ORG")]


def test_a_bigger_tagged_name_that_contains_the_pattern_is_kept() -> None:
    text = "The National Air and Space Museum opened."
    assert _rules(text, [_mention(text, "National Air and Space Museum", "LOC")]) == [
        ("National Air and Space Museum", "LOC")]


def test_a_tagged_name_ending_in_a_head_is_an_organisation() -> None:
    text = "Supporters of the Tea Party rallied."
    assert _rules(text, [_mention(text, "Tea Party", "MISC")]) == [("Tea Party", "ORG")]


def test_the_tagger_s_slips_are_cleaned() -> None:
    text = ("Bands such as The Used toured. Mail went from the Bangladesh Army field offices to the "
            "World Organization of the Scout Movement and Proastiakos S.A. in Athens.")
    tagged = [Mention("The", 14, 17, "ORG"), _mention(text, "Bangladesh Army field", "ORG"),
              _mention(text, "World Organization of", "ORG"), _mention(text, "Scout Movement", "ORG"),
              Mention("Proastiakos S.", text.index("Proastiakos"), text.index("Proastiakos") + 14, "ORG"),
              _mention(text, "Athens", "GPE")]
    found = _rules(text, tagged)
    assert ("The", "ORG") not in found
    assert ("Bangladesh Army", "ORG") in found
    assert ("World Organization of the Scout Movement", "ORG") in found
    assert ("Proastiakos S.A.", "ORG") in found
    assert ("Athens", "GPE") in found


def test_a_nationality_before_government_is_an_organisation() -> None:
    text = "The French government sent troops, French officials said."
    found = _rules(text, [])
    assert ("French government", "ORG") in found
    assert ("French", "NORP") in found  # "French officials": still a nationality


# ---------------------------------------------------------------- acronyms


@pytest.mark.parametrize(("short", "name", "expected"), [
    ("RWU", "Rail Workers' Union", True),
    ("NASA", "National Aeronautics and Space Administration", True),
    ("OECD", "Organisation for Economic Co-operation and Development", True),
    ("U.N.", "United Nations", True),
    ("RWU", "Northline Trains", False),
    ("IT", "Information", False),
    ("Rwu", "Rail Workers' Union", False),
])
def test_acronym_of(short: str, name: str, expected: bool) -> None:
    assert acronym_of(short, name) is expected


def test_an_acronym_defined_in_brackets_takes_the_name_s_type_everywhere() -> None:
    text = ("Officials of the Kennedy Space Center (KSC) spoke. The Rail Workers' Union (RWU) struck. "
            "Later the KSC and the RWU agreed. The RWU said so.")
    found = _rules(text, [_mention(text, "Kennedy Space Center", "ORG")])
    assert found.count(("KSC", "LOC")) == 2
    assert found.count(("RWU", "ORG")) == 3


def test_an_acronym_before_its_name_is_defined_too() -> None:
    text = "The RWU (Rail Workers' Union) struck. RWU members walked out."
    mentions = [Mention(m.text, m.start, m.end, m.type) for m in
                apply_organisation_rules(text, [], [])]
    assert [(long.text, short.text) for long, short in acronym_definitions(text, mentions)] == [
        ("Rail Workers' Union", "RWU")]


def test_an_organisation_s_acronym_from_another_language_is_defined_and_merged() -> None:
    text = "The Kurdistan Workers' Party (PKK) denied it. The PKK has fought since 1984. The party said so."
    mentions = apply_organisation_rules(text, [], [])
    assert [m.text for m in mentions] == ["Kurdistan Workers' Party", "PKK", "PKK"]
    actors = build_actors(text, mentions)
    assert [(a.name, a.aliases, len(a.mentions)) for a in actors] == [("Kurdistan Workers' Party", ("PKK",), 4)]


def test_brackets_that_are_not_the_acronym_define_nothing() -> None:
    text = "The Rail Workers' Union (Northline) struck. The Harbor City Council (HQ) voted."
    mentions = apply_organisation_rules(text, [], [])
    assert acronym_definitions(text, mentions) == []


def test_an_undefined_all_capitals_name_is_an_organisation_unless_common_or_shouted() -> None:
    text = "NASA celebrated the launch. The CEO said GDP grew. BREAKING NEWS TODAY: NASA LAUNCHES."
    found = _rules(text, [])
    assert found == [("NASA", "ORG")]


# ---------------------------------------------------------------- actors: kept whole and merged


RWU = ("The Rail Workers' Union (RWU) called off a strike on Monday. \"Our members held firm,\" said Dalia "
       "Okonkwo. The union said services would run normally, and the RWU thanked members of the "
       "Rail Workers' Union.")


def _rwu_mentions() -> list[Mention]:
    t = RWU
    tagged = [Mention("Rail Workers", 4, 16, "ORG"), Mention("Union", 18, 23, "ORG"),
              _mention(t, "Dalia Okonkwo", "PERSON"), _mention(t, "Rail Workers' Union", "ORG", 1)]
    gaz = default_gazetteer()
    return apply_organisation_rules(t, merge_rules(t, tagged, gaz.find(t)), gaz.find(t))


def test_the_union_its_acronym_and_the_union_are_one_actor() -> None:
    actors = build_actors(RWU, _rwu_mentions())
    orgs = [a for a in actors if a.type == "ORG"]
    assert len(orgs) == 1
    union = orgs[0]
    assert union.name == "Rail Workers' Union"
    assert [m.text for m in union.mentions] == ["Rail Workers' Union", "RWU", "The union", "RWU",
                                                "Rail Workers' Union"]
    assert union.aliases == ("RWU",)  # "the union" names it here only: not an alias
    for m in union.mentions:
        assert RWU[m.start : m.end] == m.text


def test_the_union_alone_is_no_actor() -> None:
    text = "The union said the talks had failed. Northline Trains declined to comment."
    actors = build_actors(text, [_mention(text, "Northline Trains", "ORG")])
    assert [(a.name, [m.text for m in a.mentions]) for a in actors] == [("Northline Trains", ["Northline Trains"])]


def test_the_union_with_two_unions_in_the_text_stays_unresolved() -> None:
    text = "The Rail Workers' Union and the Harbor Dockers Union met. The union said talks failed."
    mentions = apply_organisation_rules(text, [], [])
    actors = build_actors(text, mentions)
    assert sorted(a.name for a in actors) == ["Harbor Dockers Union", "Rail Workers' Union"]
    assert all(len(a.mentions) == 1 for a in actors)


def test_the_union_before_the_union_is_named_is_not_merged() -> None:
    text = "The union struck. Later the Rail Workers' Union said so."
    actors = build_actors(text, apply_organisation_rules(text, [], []))
    assert [[m.text for m in a.mentions] for a in actors] == [["Rail Workers' Union"]]


def test_a_text_of_nothing_but_the_union_gives_a_bounded_number_of_mentions() -> None:
    text = "The Rail Workers' Union struck. " + "The union said so. " * 5000
    actors = build_actors(text, apply_organisation_rules(text, [], []))
    assert [a.name for a in actors] == ["Rail Workers' Union"]
    assert len(actors[0].mentions) == 1 + MAX_MENTIONS


# ---------------------------------------------------------------- hostile text


def test_a_long_run_of_capitalised_words_and_ofs_gives_short_names() -> None:
    """200,000 characters of "Union Of Ministry of Bank Party ...": every name found is a few
    words long, and the work grows linearly with the text."""
    unit = "Ministry of Union Bank of The Party Council of Rail Workers' Union of "
    text = unit * (200_000 // len(unit))
    found = find_organisations(text)
    assert found
    assert all(len(text[o.start : o.end].split()) <= 16 for o in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))  # left to right, disjoint
    mentions = apply_organisation_rules(text, [], default_gazetteer().find(text))
    assert all(len(m.text.split()) <= 16 for m in mentions)
    small = python_steps(lambda: apply_organisation_rules(unit * 200, []))
    large = python_steps(lambda: apply_organisation_rules(unit * 800, []))
    assert large <= 5 * small, (small, large)


@pytest.mark.parametrize("unit", ["Aa (AB) ", "Rail Workers' Union (RWU) ", "(", "The union ", "of the ",
                                  "X Union's ", "U.S. Bank ", "NASA "])
def test_the_rules_grow_linearly_with_hostile_pieces(unit: str) -> None:
    def steps(n: int) -> int:
        text = unit * n
        return python_steps(lambda: build_actors(text, apply_organisation_rules(text, [], [])))

    small, large = steps(300), steps(1200)
    assert large <= 5 * small + 2000, (small, large)


# ---------------------------------------------------------------- with the real tagger


def test_the_demo_feed_keeps_the_rail_workers_union_whole(analyzer: Analyzer) -> None:
    extractor = analyzer.actors
    text = ("The Rail Workers' Union called off a three-day strike on the Northline network on Monday after "
            "agreeing a two-year pay deal with the operator, Northline Trains.\n\n\"Our members held firm and "
            "it paid off,\" union secretary Dalia Okonkwo said. Northline Trains said services would run "
            "normally from Wednesday.")
    names = {a.name: a.type for a in extractor.run(text)}
    assert names.get("Rail Workers' Union") == "ORG"
    assert "Rail Workers" not in names and "Union" not in names


def test_the_tagged_union_merges_with_its_acronym_and_the_union(analyzer: Analyzer) -> None:
    actors = analyzer.actors.run(RWU)
    union = next(a for a in actors if a.name == "Rail Workers' Union")
    assert {m.text for m in union.mentions} == {"Rail Workers' Union", "RWU", "The union"}
    assert not any(a.name in ("RWU", "Union", "Rail Workers") for a in actors)
