"""Thin Discord adapters: each command defers when needed, calls one service and renders the
result with a presenter."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord.client import Briefbot


async def setup_cogs(bot: Briefbot) -> None:
    from cogs.actors import ActorsCog
    from cogs.news import NewsCog
    from cogs.sources import SourcesCog
    from cogs.subscriptions import SubscriptionsCog
    from cogs.threads import ThreadsCog

    for cog in (NewsCog(bot), ActorsCog(bot), SourcesCog(bot), SubscriptionsCog(bot), ThreadsCog(bot)):
        await bot.add_cog(cog)
