"""The reader's no-answer threshold, tuned by folds by article, and the rates it is judged by.

An ``Outcome`` is one question's best reader score and whether the top answer held the gold
answer; ``kind`` is "answerable", "unanswerable" (the passage does not answer it) or "unrelated"
(the question asked of another article). A threshold answers a question when its score reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Kind = Literal["answerable", "unanswerable", "unrelated"]
KINDS: tuple[Kind, ...] = ("answerable", "unanswerable", "unrelated")
# the shared dev set's 8 articles in 4 folds of 2 (tune on 6, test on 2)
SQUAD_DEV_FOLDS = (("Normans", "Huguenot"), ("1973_oil_crisis", "Packet_switching"),
                   ("Yuan_dynasty", "Scottish_Parliament"), ("Imperialism", "French_and_Indian_War"))
# the fold no shipped reader trains or tunes on: what bench/eval_qa.py and the CI floors judge it on
SQUAD_HELD_OUT = SQUAD_DEV_FOLDS[3]
GRID = tuple(float(t) for t in np.linspace(0.02, 0.98, 49))


@dataclass(frozen=True, slots=True)
class Outcome:
    title: str
    kind: Kind
    score: float
    found: bool = False  # the cited text holds a gold answer (answerable questions)


@dataclass(frozen=True, slots=True)
class Rates:
    answerable: float  # cited the gold answer
    unanswerable: float  # refused
    unrelated: float  # refused
    counts: tuple[int, int, int]

    def balanced(self) -> float:
        return (self.answerable + self.unanswerable) / 2


def rates(outcomes: Sequence[Outcome], threshold: float) -> Rates:
    n = {k: 0 for k in KINDS}
    good = {k: 0 for k in KINDS}
    for o in outcomes:
        n[o.kind] += 1
        if o.kind == "answerable":
            good[o.kind] += o.score >= threshold and o.found
        else:
            good[o.kind] += o.score < threshold
    share = {k: good[k] / n[k] if n[k] else 0.0 for k in KINDS}
    return Rates(share["answerable"], share["unanswerable"], share["unrelated"],
                 (n["answerable"], n["unanswerable"], n["unrelated"]))


# the target for refusing unanswerable questions: the threshold is the lowest that reaches it
MIN_REFUSAL = 0.70


def tune(outcomes: Sequence[Outcome], min_refusal: float = MIN_REFUSAL) -> float:
    """The lowest grid threshold that refuses at least ``min_refusal`` of the unanswerable
    questions (answering as much as that allows); if none does, the one with the best mean of
    answerable-cited and unanswerable-refused."""
    for t in GRID:
        if rates(outcomes, t).unanswerable >= min_refusal:
            return t
    return max(GRID, key=lambda t: rates(outcomes, t).balanced())


def cross_validate(outcomes: Sequence[Outcome], folds: Sequence[Sequence[str]]
                   ) -> tuple[list[tuple[float, Rates]], Rates]:
    """Per fold, (threshold tuned on the other titles, rates on the fold's titles); and the rates
    over all folds' held-out questions together."""
    per_fold = []
    held_out: list[tuple[Outcome, float]] = []
    for fold in folds:
        threshold = tune([o for o in outcomes if o.title not in fold])
        test = [o for o in outcomes if o.title in fold]
        per_fold.append((threshold, rates(test, threshold)))
        held_out += [(o, threshold) for o in test]
    # each question judged at its own fold's threshold: shift scores so that one threshold (0) does
    shifted = [Outcome(o.title, o.kind, o.score - t, o.found) for o, t in held_out]
    return per_fold, rates(shifted, 0.0)
