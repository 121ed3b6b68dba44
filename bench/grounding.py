"""`make bench`: what the grounding check costs per sentence (target < 2 ms), and what it keeps
of model sentences made from the sources, case by case.

The sources are the demo feed's articles (and ../shared's sample article), numbered as a model
sees them. Each case turns a source sentence into what a model might write: faithful (the sentence
itself, or a cut of it, with its [n]), an invented quote, a changed number, a name from no source,
a citation past the list, no citation.

    python -m bench.grounding
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable

from bench.analysis import SAMPLE, demo_texts
from summarizer.grounding import SourceSentence, check, number_sentences
from summarizer.sentences import split_sentences

Case = Callable[[SourceSentence, int], str | None]


def _texts() -> list[str]:
    """The demo feed's articles, and the shared sample article when it is there."""
    return demo_texts() + ([SAMPLE.read_text(encoding="utf-8")] if SAMPLE.is_file() else [])


def _sources() -> tuple[SourceSentence, ...]:
    rows = []
    for i, text in enumerate(_texts()):
        rows += [(str(i), f"Outlet {i}", s.text, s.start, s.end) for s in split_sentences(text) if len(s.text) > 40]
    return number_sentences(rows)


def _changed_number(s: SourceSentence, n: int) -> str | None:
    m = re.search(r"\d+", s.text)
    return None if m is None else f"{s.text[:m.start()]}{int(m.group()) + 7}{s.text[m.end():]} [{n}]."


def _unknown_name(s: SourceSentence, n: int) -> str | None:
    words = s.text.split()
    return None if len(words) < 4 else " ".join([*words[:2], "Zorblatt", *words[2:]]) + f" [{n}]."


CASES: dict[str, tuple[Case, bool]] = {  # name -> (make, should be kept)
    "faithful sentence": (lambda s, n: f"{s.text.rstrip('.')} [{n}].", True),
    "faithful first half": (lambda s, n: " ".join(s.text.split()[: max(4, len(s.text.split()) // 2)]) + f" [{n}].",
                            True),
    "invented quote": (lambda s, n: f"Officials said \"we will never accept this deal\" [{n}].", False),
    "changed number": (_changed_number, False),
    "name in no source": (_unknown_name, False),
    "citation past the list": (lambda s, n: f"{s.text.rstrip('.')} [{n + 100000}].", False),
    "no citation": (lambda s, n: s.text, False),
}


def main() -> None:
    sources = _sources()
    rng = random.Random(7)
    print(f"grounding check over {len(sources)} numbered source sentences")
    total_s, total_n = 0.0, 0
    for name, (make, keep) in CASES.items():
        outputs = [t for s in sources if (t := make(s, s.number)) is not None]
        rng.shuffle(outputs)
        kept = 0
        t0 = time.perf_counter()
        for text in outputs:
            result = check(text, sources)
            kept += bool(result.verdicts) and all(v.kept for v in result.verdicts)
        took = time.perf_counter() - t0
        total_s, total_n = total_s + took, total_n + len(outputs)
        share = kept / len(outputs) if outputs else 0.0
        print(f"{name:<26} {len(outputs):>5} sentences  kept {share:6.1%}  (should be {'kept' if keep else 'dropped'})")
    print(f"{'cost per sentence':<26} {1000 * total_s / max(1, total_n):.3f} ms (target < 2 ms)")


if __name__ == "__main__":
    main()
