"""Grounding: what a language model writes is shown only where the sources say it.

The sources go to the model as numbered sentences (:mod:`.sources`), and each sentence the model
writes must end with the ``[n]`` markers of the sentences it relies on; :func:`check` keeps a
sentence only when its citations exist and every quote, number and name in it is found in what it
cites (:mod:`.check`). Pure and deterministic: no model, no network.
"""

from summarizer.grounding.check import Grounded, Verdict, check
from summarizer.grounding.sources import SourceSentence, number_sentences, render_sources

__all__ = ["Grounded", "SourceSentence", "Verdict", "check", "number_sentences", "render_sources"]
