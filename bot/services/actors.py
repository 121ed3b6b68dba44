"""Actors across articles: a document's actor is matched to the stored one it is ("Khamenei"
today is yesterday's "Ali Khamenei") with the summarizer's ActorIndex over candidates that the
database narrows down by shared name tokens; new aliases are stored as they appear."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import reduce
from operator import or_

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from bot.storage.bounds import clean, fit
from bot.storage.models import Actor, ActorAlias
from summarizer.actors import ActorIndex, KnownActor
from summarizer.types import Actor as FoundActor

_TOKEN = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOP = {"the", "and", "for", "of", "president", "minister", "leader", "supreme", "ayatollah", "prime"}


def alias_key(alias: str) -> str:
    return clean(unicodedata.normalize("NFKC", alias).casefold().strip())[:256]


def _tokens(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        for tok in _TOKEN.findall(alias_key(name)):
            if tok not in _STOP and tok not in out:
                out.append(tok)
    return out[:8]


class ActorStore:
    def __init__(self, threshold: float = 90.0) -> None:
        self._threshold = threshold

    async def resolve_all(self, actors: Sequence[FoundActor]) -> dict[str, int]:
        """Stored actor id for each actor's canonical name (creating actors as needed)."""
        return {a.name: await self.resolve(a) for a in actors}

    async def resolve(self, actor: FoundActor) -> int:
        forms = [actor.name, *actor.aliases]
        known = await self._candidates(forms)
        match = ActorIndex(known.values(), threshold=self._threshold).resolve(actor) if known else None
        if match is not None:
            actor_id = int(match.id)
            have = {alias_key(a) for a in match.forms()}
        else:
            row, _ = await Actor.get_or_create(**fit(Actor, name=actor.name, type=actor.type))
            actor_id, have = row.id, set(await ActorAlias.filter(actor_id=row.id).values_list("alias_key", flat=True))
        for form in forms:
            key = alias_key(form)
            if key and key not in have:
                have.add(key)
                try:
                    await ActorAlias.create(**fit(ActorAlias, actor_id=actor_id, alias=form, alias_key=key))
                except IntegrityError:
                    pass  # stored by a concurrent analysis
        return actor_id

    async def _candidates(self, forms: Sequence[str]) -> dict[int, KnownActor]:
        tokens = _tokens(forms)
        if not tokens:
            return {}
        query = reduce(or_, [Q(alias_key__contains=t) for t in tokens])
        ids = await ActorAlias.filter(query).limit(500).values_list("actor_id", flat=True)
        if not ids:
            return {}
        rows = await Actor.filter(id__in=set(ids)).prefetch_related("aliases")
        return {
            r.id: KnownActor(str(r.id), r.name, r.type, tuple(a.alias for a in r.aliases), len(r.aliases))  # type: ignore[arg-type]
            for r in rows
        }
