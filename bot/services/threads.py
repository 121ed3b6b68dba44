"""Follow-up questions in a briefing's thread: answered from every article of its story (or its
digest's stories), with the thread's last few questions and answers as context."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.services.asking import AskService
from bot.services.views import AnswerView
from bot.storage.bounds import fit
from bot.storage.models import Delivery, ThreadTurn

HISTORY_TURNS = 3
_MENTION = re.compile(r"<@!?\d+>")


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text).split())


class ThreadService:
    def __init__(self, asking: AskService) -> None:
        self._asking = asking

    async def stories_of(self, thread_id: int) -> list[int]:
        """The stories a briefing thread is about; empty when it is not one of Briefbot's threads."""
        return list(dict.fromkeys(await Delivery.filter(thread_id=thread_id).values_list("story_id", flat=True)))

    async def answer(self, guild_id: int, thread_id: int, question: str, *,
                     on_progress: Callable[[AnswerView], Awaitable[None]] | None = None) -> AnswerView:
        stories = await self.stories_of(thread_id)
        turns = await ThreadTurn.filter(thread_id=thread_id).order_by("-id").limit(HISTORY_TURNS)
        history = [(t.question, t.answer) for t in reversed(turns)]
        view = await self._asking.ask(guild_id, strip_mentions(question), story_ids=stories, history=history,
                                      on_progress=on_progress)
        await ThreadTurn.create(**fit(ThreadTurn, guild_id=guild_id, thread_id=thread_id, question=view.question,
                                      answer=view.text,
                                      citations=[{"n": c.number, "url": c.article.url, "text": c.text[:500]}
                                                 for c in view.citations]))
        return view
