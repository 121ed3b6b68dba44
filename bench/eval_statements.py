"""Statements against hand-marked attributions (PolNeAR), scored as ../shared/eval/statements/SOURCE.txt
says: content recall, speaker precision and direct quotes not verbatim.

    python -m bench.eval_statements                    # the dev split (84 articles)
    python -m bench.eval_statements --split train      # another split, e.g. to look at errors
    python -m bench.eval_statements --misses 20        # print missed attributions (never tune on dev)

The actors come from the real actor extractor; ``--cache`` keeps them in .bench/ so that a second
run only re-runs the statement rules (delete the cache when the tagger changes).
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.prepare import prepare_text
from summarizer.sentences import split_sentences
from summarizer.statements import extract_statements
from summarizer.types import Actor, Statement

REPO = Path(__file__).resolve().parents[1]
STATEMENTS = REPO.parent / "shared" / "eval" / "statements"

# SOURCE.txt: a gold attribution counts as speech when its cue holds a speech word
_SPEECH = re.compile(
    r"\b(?:say|says|said|saying|tell|tells|told|telling|state[sd]?|stating|declare[sd]?|declaring|warn(?:s|ed|ing)?|"
    r"add(?:s|ed|ing)?|ask(?:s|ed|ing)?|argue[sd]?|arguing|claim(?:s|ed|ing)?|insist(?:s|ed|ing)?|"
    r"explain(?:s|ed|ing)?|note[sd]?|noting|according|write|writes|wrote|written|writing|"
    r"announce[sd]?|announcing|emphasi[sz](?:e|es|ed|ing)|stress(?:es|ed|ing)?|vow(?:s|ed|ing)?|"
    r"urge[sd]?|urging|repl(?:y|ies|ied|ying)|acknowledge[sd]?|acknowledging|admit(?:s|ted|ting)?|"
    r"suggest(?:s|ed|ing)?|predict(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Gold:
    doc: str
    source: tuple[int, int]
    cue: str
    content: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Score:
    gold: int
    found: int  # gold speech whose content is at least half covered by one predicted statement
    judged: int  # predicted statements with a speaker that cover more than half of a gold content
    right: int  # ... whose speaker span overlaps that attribution's source
    direct: int
    not_verbatim: int

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.right / self.judged if self.judged else 0.0

    def line(self) -> str:
        return (f"speaker precision {self.precision:.3f} ({self.right}/{self.judged}), content recall "
                f"{self.recall:.3f} ({self.found}/{self.gold}), {self.not_verbatim}/{self.direct} direct not verbatim")


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_speech(record: dict) -> list[Gold]:
    out = []
    for a in record["attributions"]:
        if a.get("source") and a.get("cue") and a.get("content") and _SPEECH.search(a["cue"][2]):
            out.append(Gold(record["id"], (a["source"][0], a["source"][1]), a["cue"][2],
                            (a["content"][0], a["content"][1])))
    return out


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_document(text: str, record: dict, predicted: Sequence[Statement]) -> tuple[Score, list[Gold]]:
    gold = gold_speech(record)
    every = [(a["content"][0], a["content"][1], a.get("source")) for a in record["attributions"] if a.get("content")]
    spans = [(st.span.start, st.span.end) for st in predicted]
    missed = []
    found = 0
    for g in gold:
        need = (g.content[1] - g.content[0]) / 2
        if any(_overlap(g.content, s) >= need for s in spans):
            found += 1
        else:
            missed.append(g)
    judged = right = 0
    for st in predicted:
        if st.speaker_span is None:
            continue
        span = (st.span.start, st.span.end)
        hits = [src for a, b, src in every if b > a and _overlap((a, b), span) > (b - a) / 2]
        if not hits:
            continue
        judged += 1
        sp = (st.speaker_span.start, st.speaker_span.end)
        right += any(src and _overlap(sp, (src[0], src[1])) > 0 for src in hits)
    direct = [st for st in predicted if st.kind == "direct"]
    bad = sum(text[st.span.start:st.span.end] != st.text for st in direct)
    return Score(len(gold), found, judged, right, len(direct), bad), missed


def add(scores: Iterable[Score]) -> Score:
    total = [0] * 6
    for s in scores:
        for i, v in enumerate((s.gold, s.found, s.judged, s.right, s.direct, s.not_verbatim)):
            total[i] += v
    return Score(*total)


def actors_for(records: Sequence[dict], cache: Path | None) -> list[list[Actor]]:
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())  # noqa: S301 - our own cache file
    from summarizer.actors import ActorExtractor
    from summarizer.embeddings import Embedder

    extractor = ActorExtractor(Embedder(threads=1, precision="auto"))
    extractor.warm_up()
    actors = [extractor.run(prepare_text(r["text"])) for r in records]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(actors))
    return actors


def evaluate(path: Path, *, cache: Path | None = None,
             actors: Sequence[Sequence[Actor]] | None = None) -> tuple[Score, list[tuple[str, Gold]]]:
    records = load(path)
    every_actors = actors if actors is not None else actors_for(records, cache)
    scores, misses = [], []
    for record, doc_actors in zip(records, every_actors, strict=True):
        text = prepare_text(record["text"])
        predicted = extract_statements(text, split_sentences(text), doc_actors)
        score, missed = score_document(record["text"], record, predicted)
        scores.append(score)
        misses += [(record["text"], g) for g in missed]
    return add(scores), misses


def _show(text: str, g: Gold) -> str:
    lo = min(g.source[0], g.content[0])
    hi = max(g.source[1], g.content[1])
    return (f"[{g.cue}] speaker={text[g.source[0]:g.source[1]]!r}\n   "
            + text[max(0, lo - 60):hi + 20].replace("\n", " ") + "\n   content=" + repr(text[g.content[0]:g.content[1]][:200]))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--cache", action="store_true", help="keep the actors in .bench/ between runs")
    parser.add_argument("--misses", type=int, default=0, help="print this many missed attributions, at random")
    args = parser.parse_args(argv)
    path = STATEMENTS / f"polnear-{args.split}.jsonl"
    if not path.is_file():
        print(f"statements: skipped, {path} is absent")
        return
    cache = REPO / ".bench" / f"polnear-{args.split}-actors.pkl" if args.cache else None
    score, misses = evaluate(path, cache=cache)
    print(f"statements, PolNeAR {args.split}: {score.line()}")
    for text, g in random.Random(0).sample(misses, min(args.misses, len(misses))):
        print(_show(text, g))


if __name__ == "__main__":
    main()
