"""Word lists the statement rules share."""

from __future__ import annotations

DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday today yesterday tonight".split())
SKIP_BEFORE_CUE = frozenset(
    """also again then later once has have had will would could should may might must did does
    do not never long previously recently earlier further repeatedly reportedly publicly privately today
    yesterday just already often still even openly angrily flatly firmly separately""".split()
)
DETERMINERS = frozenset("the a an its their his her our".split())
PREPOSITIONS = frozenset(
    "of for from in at with by to against on about over under into than between among via toward towards".split()
)
