"""Speech cues: the verbs (and "according to") that introduce what someone said, with the classes of
verb that decide which forms of reported clause each may take."""

from __future__ import annotations

import re
from dataclasses import dataclass

# lemma -> inflected forms (finite forms and the -ing participle)
FORMS: dict[str, tuple[str, ...]] = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "warn": ("warn", "warns", "warned", "warning"),
    "declare": ("declare", "declares", "declared", "declaring"),
    "emphasize": ("emphasize", "emphasizes", "emphasized", "emphasizing",
                  "emphasise", "emphasises", "emphasised", "emphasising"),
    "stress": ("stress", "stresses", "stressed", "stressing"),
    "insist": ("insist", "insists", "insisted", "insisting"),
    "claim": ("claim", "claims", "claimed", "claiming"),
    "argue": ("argue", "argues", "argued", "arguing"),
    "add": ("add", "adds", "added", "adding"),
    "note": ("note", "notes", "noted", "noting"),
    "vow": ("vow", "vows", "vowed", "vowing"),
    "pledge": ("pledge", "pledges", "pledged", "pledging"),
    "promise": ("promise", "promises", "promised", "promising"),
    "announce": ("announce", "announces", "announced", "announcing"),
    "state": ("state", "states", "stated", "stating"),
    "deny": ("deny", "denies", "denied", "denying"),
    "accuse": ("accuse", "accuses", "accused", "accusing"),
    "urge": ("urge", "urges", "urged", "urging"),
    "threaten": ("threaten", "threatens", "threatened", "threatening"),
    "suggest": ("suggest", "suggests", "suggested", "suggesting"),
    "acknowledge": ("acknowledge", "acknowledges", "acknowledged", "acknowledging"),
    "admit": ("admit", "admits", "admitted", "admitting"),
    "confirm": ("confirm", "confirms", "confirmed", "confirming"),
    "assert": ("assert", "asserts", "asserted", "asserting"),
    "reiterate": ("reiterate", "reiterates", "reiterated", "reiterating"),
    "explain": ("explain", "explains", "explained", "explaining"),
    "maintain": ("maintain", "maintains", "maintained", "maintaining"),
    "write": ("write", "writes", "wrote", "writing"),
    "report": ("report", "reports", "reported", "reporting"),
    "caution": ("caution", "cautions", "cautioned", "cautioning"),
    "concede": ("concede", "concedes", "conceded", "conceding"),
    "contend": ("contend", "contends", "contended", "contending"),
    "allege": ("allege", "alleges", "alleged", "alleging"),
    "reply": ("reply", "replies", "replied", "replying"),
    "remark": ("remark", "remarks", "remarked", "remarking"),
    "recall": ("recall", "recalls", "recalled", "recalling"),
    "tweet": ("tweet", "tweets", "tweeted", "tweeting"),
    "predict": ("predict", "predicts", "predicted", "predicting"),
    "demand": ("demand", "demands", "demanded", "demanding"),
    "ask": ("ask", "asks", "asked", "asking"),
    "assure": ("assure", "assures", "assured", "assuring"),
    "remind": ("remind", "reminds", "reminded", "reminding"),
    # naming cues: they introduce a quoted fragment ("called it a 'tumor'"), never an indirect clause
    "call": ("call", "calls", "called", "calling"),
    "describe": ("describe", "describes", "described", "describing"),
    "refer": ("refer", "refers", "referred", "referring"),
    "dub": ("dub", "dubs", "dubbed", "dubbing"),
    "brand": ("brand", "brands", "branded", "branding"),
    "label": ("label", "labels", "labeled", "labelled", "labeling", "labelling"),
    "term": ("term", "terms", "termed", "terming"),
}
NAMING = frozenset({"call", "describe", "refer", "dub", "brand", "label", "term"})
# verbs whose object is the listener: "told reporters that", "warned Israel that"
LISTENER = frozenset({"tell", "warn", "assure", "remind"})
# verbs that may drop "that": "Khamenei said Iran would ..."
ZERO_THAT = frozenset({"say", "claim", "insist", "argue", "add", "write", "warn", "predict"})
# verbs that drop "that" before a pronoun or a name only: "announced they'll ...", not "announced a deal"
ZERO_THAT_NAMED = frozenset({"announce", "acknowledge", "suggest", "note", "admit", "stress", "state", "declare",
                             "assert", "concede", "contend", "maintain", "confirm", "explain", "report", "tweet",
                             "emphasize", "reiterate"})
# verbs whose complement is an object or infinitive: "accused Israel of ...", "vowed to ..."
OBJECT = frozenset({"accuse", "urge", "threaten", "vow", "pledge", "promise", "deny", "demand"})
# verbs that end a sentence as its attribution: "..., Khamenei said."
FINAL = frozenset({"say", "tell", "add", "warn", "state", "insist", "claim", "argue", "note", "write", "declare",
                   "stress", "emphasize", "explain", "acknowledge", "admit", "confirm", "assert", "reiterate",
                   "announce", "recall", "reply", "remark", "tweet", "predict", "concede", "contend", "report",
                   "ask"})
# -ing forms that carry on a speaker's turn ("..., adding that ...")
PARTICIPLE = frozenset({"say", "add", "warn", "insist", "stress", "emphasize", "note", "argue", "claim", "declare"})
# cues that an inanimate "it" or "they" must not take ("it suggests that" is analysis)
NOT_FOR_IT = frozenset({"suggest", "note", "predict", "recall", "maintain", "describe", "call", "refer", "term"})

LEMMA: dict[str, str] = {form: lemma for lemma, forms in FORMS.items() for form in forms}
LETTERS = re.compile(r"(?<![\w'’-])[A-Za-z]{3,12}(?![\w'’-])")  # candidate cue words, looked up in LEMMA
TO = re.compile(r"\s+to\b")


@dataclass(frozen=True, slots=True)
class Cue:
    start: int
    end: int
    lemma: str  # "according to" for that phrase
    text: str
