"""The entity corpora under ``shared/eval/entities`` as documents with character spans, the
document-level train/held-out split, and entity-level scoring of a tagger.

Nothing here reads files at import time: every function takes the corpus directory.

* wikigold (CoNLL, IO tags PER/LOC/ORG/MISC, 145 Wikipedia articles): used as is.
* gum-news (21 Wikinews articles, one token a line, IO tags person/place/organization/...):
  GUM marks every mention, named or not ("over 900 asylum seekers", "Malaysia's Prime
  Minister", "she"). Only the named ones are kept: leading determiners and titles are dropped
  and what is left must be capitalised words (with "of", "and", "-" ... between). A span that
  is not a name makes its capitalised tokens "unknown" (left out of training and scoring), as
  do capitalised tokens in GUM's event/abstract/object spans (which CoNLL would call MISC).
  GUM has no MISC tag: MISC is scored on wikigold only.

Scores are exact-match on (start, end, type), per type: PER, ORG, LOC (GPE and LOC), MISC
(NORP and MISC), and "ALL" (micro average over the four).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.types import Mention

CorpusType = str  # "PER", "ORG", "LOC", "MISC"
TYPES: tuple[CorpusType, ...] = ("PER", "ORG", "LOC", "MISC")
HELD_OUT_FRACTION = 0.2
SPLIT_SEED = 20240611

_TO_CORPUS: dict[str, CorpusType] = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "NORP": "MISC",
                                     "MISC": "MISC"}


@dataclass(frozen=True, slots=True)
class GoldDocument:
    id: str  # "wikigold/017", "gum/GUM_news_asylum"
    corpus: str  # "wikigold" or "gum"
    text: str
    spans: tuple[tuple[int, int, CorpusType], ...]
    unknown: tuple[tuple[int, int], ...] = ()  # character ranges neither trained nor scored
    scored_types: tuple[CorpusType, ...] = TYPES
    tokens: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # the corpus tokens' character spans


# ---------------------------------------------------------------- reading

_NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "'re", "'ve", "'ll", "'d",
                    "'m", "'"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


def _detokenize(sentences: Sequence[Sequence[str]]) -> tuple[str, list[list[tuple[int, int]]]]:
    """Plain text from tokenised sentences, and every token's character span."""
    parts: list[str] = []
    offsets: list[list[tuple[int, int]]] = []
    pos = 0
    for s_index, sentence in enumerate(sentences):
        spans: list[tuple[int, int]] = []
        if s_index:
            prev = sentences[s_index - 1]
            sep = " " if prev and prev[-1] in {".", "!", "?", '"', "''", ")"} else "\n"
            parts.append(sep)
            pos += 1
        for t_index, token in enumerate(sentence):
            if t_index and token not in _NO_SPACE_BEFORE and sentence[t_index - 1] not in _NO_SPACE_AFTER:
                parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(token)))
            parts.append(token)
            pos += len(token)
        offsets.append(spans)
    return "".join(parts), offsets


def _io_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Token ranges [i, j) of consecutive equal labels (IO tagging), skipping "O"/"_"."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(labels):
        label = labels[i]
        if label in ("O", "_", ""):
            i += 1
            continue
        j = i + 1
        while j < len(labels) and labels[j] == label:
            j += 1
        out.append((i, j, label))
        i = j
    return out


def read_wikigold(root: Path) -> list[GoldDocument]:
    path = root / "wikigold" / "CONLL-format" / "data" / "wikigold.conll.txt"
    docs: list[list[list[tuple[str, str]]]] = [[]]
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            if sentence:
                docs[-1].append(sentence)
                sentence = []
            continue
        if parts[0] == "-DOCSTART-":
            if sentence:
                docs[-1].append(sentence)
                sentence = []
            if docs[-1]:
                docs.append([])
            continue
        sentence.append((parts[0], parts[-1]))
    if sentence:
        docs[-1].append(sentence)
    out = []
    for index, doc in enumerate(d for d in docs if d):
        text, offsets = _detokenize([[t for t, _ in s] for s in doc])
        tokens = [span for sent in offsets for span in sent]
        labels = [lab.split("-", 1)[-1] if lab != "O" else "O" for s in doc for _, lab in s]
        spans = tuple((tokens[i][0], tokens[j - 1][1], lab) for i, j, lab in _io_spans(labels))
        out.append(GoldDocument(f"wikigold/{index:03d}", "wikigold", text, spans, tokens=tuple(tokens)))
    return out


_GUM_TYPES = {"person": "PER", "organization": "ORG", "place": "LOC"}
_GUM_MISC_LIKE = {"event", "abstract", "object", "substance", "animal", "plant"}
_DETERMINERS = {"the", "a", "an", "The", "A", "An", "this", "This", "that", "That", "His", "Her", "Their", "Its",
                "Our", "My", "One", "Both", "All", "Some"}
_CONNECTORS = {"of", "the", "and", "for", "de", "da", "del", "della", "di", "du", "la", "le", "al", "el", "bin",
               "ibn", "van", "von", "der", "den", "&", "-", "on", "in", "St.", "y", "do", "dos", "das"}
_PREPOSITIONS = {"of", "for", "at", "in", "from", "with", "on", "by", "to", "within", "about", "like", "as"}
_PRONOUNS = {"I", "We", "He", "She", "They", "It", "You", "Me", "Us", "Him", "Her", "Them", "One", "His", "Their"}


def _capitalised(token: str) -> bool:
    return token[:1].isupper() or (token[:1].isdigit() and any(c.isupper() for c in token))


def _named_part(tokens: Sequence[str], label: str, sentence_initial: Sequence[bool],
                lowercase_vocab: set[str]) -> tuple[int, int] | None:
    """The token range [i, j) of the name inside a GUM mention, or None when it is not a name."""
    from summarizer.actors.gazetteer import HONORIFIC_ONLY, OFFICE_ONLY, TITLE_WORD, default_gazetteer

    i, j = 0, len(tokens)
    while i < j and (tokens[i] in _DETERMINERS or not _capitalised(tokens[i])):
        i += 1
    if 0 < i < j and tokens[i - 1].lower() in _PREPOSITIONS:
        return None  # "an attorney for Scientology": the name is not the mention's head
    while j > i and not tokens[j - 1][:1].isalnum():
        j -= 1
    if label == "person":  # "Major general Fuad Basya", "US President Barack Obama"
        while i < j - 1:
            rest = " ".join(tokens[i:j])
            m = HONORIFIC_ONLY.match(rest) or OFFICE_ONLY.match(rest)
            if m and m.end() < len(rest) and (rest[m.end() - 1] == " " or rest[m.end()] == " "):
                skipped = len(rest[: m.end()].split())
                if skipped < j - i:
                    i += skipped
                    continue
            if default_gazetteer().kind_of(tokens[i]) in ("GPE", "NORP") and i + 1 < j and \
                    (HONORIFIC_ONLY.match(tokens[i + 1]) or OFFICE_ONLY.match(tokens[i + 1])):
                i += 1
                continue
            break
    if i >= j or j - i > 6:
        return None
    name = tokens[i:j]
    if not _capitalised(name[0]) or not _capitalised(name[-1]):
        return None
    if any(not _capitalised(t) and t not in _CONNECTORS for t in name):
        return None
    if len(name) == 1 and name[0] in _PRONOUNS:
        return None
    if label == "person" and (TITLE_WORD.search(" ".join(name)) or {"of", "for", "the", "and"} & set(name)):
        return None  # "Secretary of State", "State Department Spokesperson"
    if len(name) == 1 and sentence_initial[i] and name[0].lower() in lowercase_vocab:
        return None  # "Police said", "Fishermen rescued"
    if default_gazetteer().is_demonym(" ".join(name)):
        return None  # "Bangladeshis" are NORP, not a person
    return i, j


def read_gum(root: Path) -> list[GoldDocument]:
    from summarizer.actors.gazetteer import default_gazetteer

    files = sorted((root / "gum-news").glob("*.tsv"))
    raw: list[tuple[str, list[list[tuple[str, str]]]]] = []
    lowercase_vocab: set[str] = set()
    for path in files:
        sentences: list[list[tuple[str, str]]] = [[]]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                if sentences[-1]:
                    sentences.append([])
                continue
            token, _, label = line.partition("\t")
            sentences[-1].append((token, label.strip() or "O"))
            if token.islower():
                lowercase_vocab.add(token)
        raw.append((path.stem, [s for s in sentences if s]))
    for line in (root / "wikigold" / "CONLL-format" / "data" / "wikigold.conll.txt").read_text(
            encoding="utf-8").split():
        if line.islower():
            lowercase_vocab.add(line)
    out = []
    for name, sentences in raw:
        text, offsets = _detokenize([[t for t, _ in s] for s in sentences])
        tokens = [t for s in sentences for t, _ in s]
        labels = [lab for s in sentences for _, lab in s]
        spans_tok = [span for sent in offsets for span in sent]
        initial = [k == 0 or (k == 1 and s[0][0] in {'"', "``", "'", "("}) for s in sentences for k in range(len(s))]
        spans: list[tuple[int, int, CorpusType]] = []
        unknown: list[tuple[int, int]] = []
        for i, j, label in _io_spans(labels):
            if label in _GUM_TYPES:
                part = _named_part(tokens[i:j], label, initial[i:j], lowercase_vocab)
                if part is None:
                    unknown.extend(spans_tok[k] for k in range(i, j) if _capitalised(tokens[k]) and not
                                   (initial[k] and tokens[k].lower() in lowercase_vocab))
                    continue
                a, b = i + part[0], i + part[1]
                kind = _GUM_TYPES[label]
                surface = text[spans_tok[a][0] : spans_tok[b - 1][1]]
                if "\n" in surface:  # a headline run into the next line
                    unknown.extend(spans_tok[k] for k in range(i, j) if _capitalised(tokens[k]))
                    continue
                if default_gazetteer().kind_of(surface) in ("GPE", "LOC"):
                    kind = "LOC"  # GUM calls "United States" an organisation when it acts
                spans.append((spans_tok[a][0], spans_tok[b - 1][1], kind))
                # capitalised words left out of the name (titles, "US" in "US President") are unknown
                unknown.extend(spans_tok[k] for k in range(i, j) if not a <= k < b and _capitalised(tokens[k])
                               and tokens[k] not in _DETERMINERS)
            elif label in _GUM_MISC_LIKE:
                unknown.extend(spans_tok[k] for k in range(i, j) if _capitalised(tokens[k]) and not initial[k])
        out.append(GoldDocument(f"gum/{name}", "gum", text, tuple(spans), tuple(unknown), ("PER", "ORG", "LOC"),
                                tokens=tuple(spans_tok)))
    return out


def read_corpora(root: Path) -> list[GoldDocument]:
    """Every document of both corpora; ``root`` is ``shared/eval/entities``."""
    return read_wikigold(root) + read_gum(root)


def split_documents(docs: Sequence[GoldDocument], fraction: float = HELD_OUT_FRACTION,
                    seed: int = SPLIT_SEED) -> tuple[list[GoldDocument], list[GoldDocument]]:
    """(train, held_out): ``fraction`` of each corpus's documents, chosen with a fixed seed."""
    train: list[GoldDocument] = []
    held: list[GoldDocument] = []
    for corpus in sorted({d.corpus for d in docs}):
        ids = sorted(d.id for d in docs if d.corpus == corpus)
        random.Random(f"{seed}/{corpus}").shuffle(ids)
        held_ids = set(ids[: max(1, round(len(ids) * fraction))])
        for d in docs:
            if d.corpus == corpus:
                (held if d.id in held_ids else train).append(d)
    return train, held


# ---------------------------------------------------------------- scoring


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": float(tp + fn), "predicted": float(tp + fp)}


def score(docs: Sequence[GoldDocument], predictions: Sequence[Iterable[tuple[int, int, CorpusType]]]
          ) -> dict[str, dict[str, float]]:
    """Entity-level exact-match precision, recall and F1 per type and micro-averaged ("ALL")."""
    counts = {t: [0, 0, 0] for t in TYPES}
    for doc, predicted in zip(docs, predictions, strict=True):
        gold = {s for s in doc.spans if s[2] in doc.scored_types}
        pred = set()
        for start, end, kind in predicted:
            if kind not in doc.scored_types:
                continue
            if any(start < u_end and u_start < end for u_start, u_end in doc.unknown):
                continue
            pred.add((start, end, kind))
        for kind in TYPES:
            g = {s for s in gold if s[2] == kind}
            p = {s for s in pred if s[2] == kind}
            counts[kind][0] += len(g & p)
            counts[kind][1] += len(p - g)
            counts[kind][2] += len(g - p)
    out = {kind: _prf(*c) for kind, c in counts.items()}
    out["ALL"] = _prf(*(sum(c[k] for c in counts.values()) for k in range(3)))
    return out


def to_corpus_spans(mentions: Iterable[Mention]) -> list[tuple[int, int, CorpusType]]:
    return [(m.start, m.end, _TO_CORPUS[m.type]) for m in mentions if m.type in _TO_CORPUS]


def evaluate_tagger(data_dir: Path, tag: Callable[[list[str]], list[list[Mention]]] | None = None, *,
                    docs: Sequence[GoldDocument] | None = None) -> dict[str, dict[str, float]]:
    """Per-type P/R/F1 of ``tag`` (texts -> mentions; default: the bundled MiniLM tagger with the
    gazetteer rules, as :class:`~summarizer.actors.ActorExtractor` uses it) on the held-out documents
    of the corpora in ``data_dir`` (``shared/eval/entities``). Keys: PER, ORG, LOC, MISC, ALL; values:
    precision, recall, f1, support, predicted."""
    if docs is None:
        _, docs = split_documents(read_corpora(Path(data_dir)))
    if tag is None:
        from summarizer.actors.ner import EntityRecognizer

        recognizer = EntityRecognizer()
        tag = recognizer.recognize_many
    predictions = tag([d.text for d in docs])
    return score(docs, [to_corpus_spans(p) for p in predictions])


def format_scores(scores: dict[str, dict[str, float]]) -> str:
    lines = [f"{'type':<5} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}"]
    for kind, s in scores.items():
        lines.append(f"{kind:<5} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {int(s['support']):6d}")
    return "\n".join(lines)

